/**
 * The composition root: reads config, builds every service, wires them, starts listening.
 * The only file that knows them all.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Server } from 'node:http';
import { pino, type Logger } from 'pino';
import Srf from 'drachtio-srf';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { SipServer } from '../sip/server/sip-server.js';
import { AuthThrottle, SipApplication } from '../sip/sip-app.js';
import { MediaServer } from '../media/index.js';
import { CallRegistry } from './calls/call-registry.js';
import { CallRouter } from './calls/router.js';
import { CallService, SHUTDOWN } from './calls/call-service.js';
import { CallRecords } from './calls/call-records.js';
import { ApiCalls } from './calls/api-calls.js';
import { BrowserBridges } from './calls/browser-bridge.js';
import { createHttpApp } from '../api/app.js';
import { Store, SchemaTooNewError } from './store/index.js';
import { provisionStore } from './provisioning.js';
import { AccountService } from './accounts/account-service.js';
import { createMailSender } from './mail/sender.js';

export interface Platform {
  config: Config;
  sipServer?: SipServer;
  /** Where the embedded server listens for SIP (empty with an external drachtio-server). */
  sipAddresses: { transport: string; host: string; port: number }[];
  http: { host: string; port: number };
  sip: SipApplication;
  /** Password-failure throttling shared by SIP and (later) the HTTP API; `stats()` for metrics. */
  authThrottle: AuthThrottle;
  media: MediaServer;
  calls: CallRegistry;
  /** The call-record writer (CDRs); `liveCall(phone_call_id)`, `flushed()`. */
  records: CallRecords;
  store: Store;
  stop(): Promise<void>;
}

function firstExternalIPv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export async function startPlatform(config: Config, logger: Logger = pino({ level: config.logLevel })): Promise<Platform> {
  const dataDir = resolve(config.dataDir);
  const recordingsDir = join(dataDir, 'recordings');
  mkdirSync(recordingsDir, { recursive: true });

  // The store first: a database this code cannot use must stop the start before anything listens.
  const store = await Store.open({ url: config.database.url, dataDir });
  logger.info({ database: store.location, dialect: store.dialect, schema: store.schemaVersion }, 'store open');
  try {
    await provisionStore(store, config, logger.child({ component: 'store' }));
  } catch (err) {
    await store.close();
    throw err;
  }
  // Registrar users live in the store; config users were seeded into it just above.
  const registrarUsers = await store.agents.sipCredentials();
  const mail = createMailSender(config.mail.smtp, logger.child({ component: 'mail' }));
  const accounts = new AccountService({
    store, mail, logger: logger.child({ component: 'accounts' }),
    codeTtlMinutes: config.auth.codeTtlMinutes, maxCodeAttempts: config.auth.maxCodeAttempts,
  });

  let sipServer: SipServer | undefined;
  let drachtio: { host: string; port: number; secret: string };
  let sipAddresses: Platform['sipAddresses'] = [];
  if (config.sip.drachtio) {
    drachtio = config.sip.drachtio;
  } else {
    const secret = randomBytes(18).toString('base64url');
    sipServer = new SipServer({
      listen: config.sip.listen,
      admin: { host: config.sip.admin.host, port: config.sip.admin.port },
      secret,
      externalAddress: config.sip.externalAddress,
      timers: config.sip.timers,
      tls: config.sip.tls,
      maxMessageSize: config.sip.maxMessageSize,
      dnsServers: config.sip.dnsServers,
      logger: logger.child({ component: 'sip-server' }),
    });
    const started = await sipServer.start();
    sipAddresses = started.sip;
    drachtio = { host: started.admin.host, port: started.admin.port, secret };
  }

  const srf = new Srf();
  srf.connect({ host: drachtio.host, port: drachtio.port, secret: drachtio.secret });
  await once(srf, 'connect');
  logger.info({ drachtio: `${drachtio.host}:${drachtio.port}`, embedded: !config.sip.drachtio }, 'connected to SIP server');

  const advertised = config.rtp.advertisedAddress ?? config.sip.externalAddress ?? firstExternalIPv4() ?? '127.0.0.1';
  const media = new MediaServer({
    workers: config.media.workers,
    rtp: { address: config.rtp.address, advertisedAddress: advertised, portMin: config.rtp.portMin, portMax: config.rtp.portMax },
    maxCallsPerWorker: config.media.maxCallsPerWorker,
    jitterBufferMs: config.media.jitterBufferMs,
    webrtc: config.webrtc,
    logger: logger.child({ component: 'media' }),
  });
  await media.start();

  const t = config.authThrottle;
  const authThrottle = new AuthThrottle({
    maxFailures: t.maxFailures, windowMs: t.windowSeconds * 1000, blockMs: t.blockSeconds * 1000,
    maxBlockMs: t.maxBlockSeconds * 1000, trustMs: t.trustSeconds * 1000, maxKeys: t.maxTrackedKeys,
  });
  const sip = new SipApplication(srf, {
    realm: config.registrar.realm,
    // Looked up per authentication, so agents added through the API or the admin CLI can register at once.
    credentials: (username) => store.agents.sipCredential(username),
    throttle: authThrottle,
    minExpires: config.registrar.minExpires,
    maxExpires: config.registrar.maxExpires,
    defaultExpires: config.registrar.defaultExpires,
    trunks: config.trunks,
    dnsServers: config.sip.dnsServers,
    digestAlgorithms: config.registrar.digestAlgorithms,
    nonceTtlMs: config.registrar.nonceLifetimeSeconds * 1000,
    acceptRfc2069: config.registrar.acceptRfc2069,
    logger: logger.child({ component: 'sip' }),
  });
  const users = new Set(registrarUsers.map((u) => u.username));
  const router = new CallRouter({ isUser: (u) => users.has(u), defaultTrunk: config.trunks[0]?.name });
  const calls = new CallRegistry();
  // Subscribed before any call can start: every call the registry announces gets its record.
  const records = new CallRecords({ store, registry: calls, logger: logger.child({ component: 'call-records' }) });
  const callService = new CallService({
    sip, media, router, registry: calls, recordingsDir, recording: config.recording,
    ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
    logger: logger.child({ component: 'calls' }),
    // Bound late: the browser bridges need the service's dialer.
    claim: (invite) => browserBridges.claim(invite),
  });
  const browserBridges: BrowserBridges = new BrowserBridges({
    media, registry: calls, dialer: callService.dialer, recording: config.recording, recordingsDir,
    ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000, joinTimeoutMs: config.calls.agentJoinTimeoutSeconds * 1000,
    agentProject: async (username) => (await store.agents.findByUsername(username))?.projectId,
    logger: logger.child({ component: 'calls' }),
  });
  callService.start();
  const apiCalls = new ApiCalls({
    store, calls: callService, records, browser: browserBridges, trunk: config.trunks[0]?.name, ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
    blockedPrefixes: config.calls.blockedPrefixes, logger: logger.child({ component: 'api-calls' }),
  });
  sip.start();

  const app = createHttpApp({
    calls, media, store, accounts, apiCalls, authAttemptsPerMinute: config.auth.attemptsPerMinute, logger: logger.child({ component: 'http' }),
  });
  const server: Server = app.listen(config.http.port, config.http.host);
  await once(server, 'listening');
  const addr = server.address();
  const http = { host: config.http.host, port: typeof addr === 'object' && addr ? addr.port : config.http.port };
  logger.info({ http, sip: sipAddresses }, 'Switchboard is up');
  let stopping: Promise<void> | undefined;

  return {
    config, sipServer, sipAddresses, http, sip, authThrottle, media, calls, records, store,
    /** Idempotent: a second call waits for the first shutdown. */
    stop() {
      stopping ??= (async () => {
        await calls.endAll(SHUTDOWN);
        await callService.drain();
        await browserBridges.drain();
        // The final statuses of the calls just ended reach the database before it closes.
        await records.flushed();
        records.close();
        await sip.close().catch(() => undefined);
        server.closeAllConnections();
        server.close();
        srf.disconnect();
        await media.close();
        await sipServer?.close();
        mail.close();
        await store.close();
      })();
      return stopping;
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  const platform = await startPlatform(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    platform.stop().then(() => process.exit(0), (err: unknown) => { logger.error({ err }, 'shutdown failed'); process.exit(1); });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    // A schema from a newer release is an operator decision, not a bug: one clear line, no stack.
    console.error(err instanceof SchemaTooNewError ? `switchboard: ${err.message}` : err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
