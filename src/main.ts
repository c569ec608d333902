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
import { readTlsFiles } from '../config/tls-files.js';
import type { Config } from '../config/schema.js';
import { SipServer } from '../sip/server/sip-server.js';
import { AuthThrottle, SipApplication } from '../sip/sip-app.js';
import { MediaServer } from '../media/index.js';
import { CallRegistry } from './calls/call-registry.js';
import { CallRouter } from './calls/router.js';
import { CallService, SHUTDOWN } from './calls/call-service.js';
import { createHttpApp } from '../api/app.js';
import { Store, SchemaTooNewError } from './store/index.js';
import { provisionStore } from './provisioning.js';
import { AccountService } from './accounts/account-service.js';
import { createMailSender } from './mail/sender.js';
import { PlatformHealth } from './health.js';
import { SipLink } from './sip-link.js';
import { explainListenError, sipListener, startupFailureLine } from './startup-errors.js';

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
  store: Store;
  health: PlatformHealth;
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
      tls: config.sip.tls ? readTlsFiles(config.sip.tls) : undefined,
      maxMessageSize: config.sip.maxMessageSize,
      udpReceiveBufferBytes: config.sip.udpReceiveBufferBytes,
      udpSendBufferBytes: config.sip.udpSendBufferBytes,
      connections: { ...config.sip.connections, wsAllowedOrigins: config.sip.wsAllowedOrigins },
      maxTransactionsPerSource: config.sip.maxTransactionsPerSource,
      dnsServers: config.sip.dnsServers,
      logger: logger.child({ component: 'sip-server' }),
    });
    const listeners = [...config.sip.listen.map(sipListener),
      { label: 'SIP admin (drachtio)', host: config.sip.admin.host, port: config.sip.admin.port, datagram: false }];
    const started = await sipServer.start().catch(async (err: unknown) => {
      await sipServer?.close().catch(() => undefined);
      throw explainListenError(err, listeners);
    });
    sipAddresses = started.sip;
    drachtio = { host: started.admin.host, port: started.admin.port, secret };
  }

  const srf = new Srf();
  const sipLink = new SipLink(srf, { ...drachtio, embedded: !config.sip.drachtio }, logger.child({ component: 'sip-link' }));
  await sipLink.connected();
  logger.info({ drachtio: `${drachtio.host}:${drachtio.port}`, embedded: !config.sip.drachtio }, 'connected to SIP server');

  const advertised = config.rtp.advertisedAddress ?? config.sip.externalAddress ?? firstExternalIPv4() ?? '127.0.0.1';
  const media = new MediaServer({
    workers: config.media.workers,
    rtp: { address: config.rtp.address, advertisedAddress: advertised, portMin: config.rtp.portMin, portMax: config.rtp.portMax },
    maxCallsPerWorker: config.media.maxCallsPerWorker,
    maxWorkerUtilization: config.media.maxWorkerUtilization,
    maxWorkerLagMs: config.media.maxWorkerLagMs,
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
  const callService = new CallService({
    sip, media, router, registry: calls, recordingsDir, recording: config.recording,
    ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
    logger: logger.child({ component: 'calls' }),
  });
  callService.start();
  sip.start();

  const health = new PlatformHealth({ media, calls, sipLink: () => sipLink.snapshot() });
  const app = createHttpApp({
    store, accounts, authAttemptsPerMinute: config.auth.attemptsPerMinute, health, logger: logger.child({ component: 'http' }),
    options: { healthDetails: config.http.healthDetails, healthToken: config.http.healthToken, sourceMaps: config.http.sourceMaps },
  });
  const server: Server = app.listen(config.http.port, config.http.host);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await calls.endAll(SHUTDOWN);
      await callService.drain();
      await sip.close().catch(() => undefined);
      server.closeAllConnections();
      server.close();
      sipLink.close();
      await media.close();
      await sipServer?.close();
      mail.close();
      await store.close();
    })();
    return stopping;
  };
  await once(server, 'listening').catch(async (err: unknown) => {
    await stop().catch(() => undefined);
    throw explainListenError(err, [{ label: 'HTTP', host: config.http.host, port: config.http.port, datagram: false }]);
  });
  const addr = server.address();
  const http = { host: config.http.host, port: typeof addr === 'object' && addr ? addr.port : config.http.port };
  logger.info({ http, sip: sipAddresses }, 'Switchboard is up');

  return {
    config, sipServer, sipAddresses, http, sip, authThrottle, media, calls, store, health,
    /** Idempotent: a second call waits for the first shutdown. */
    stop,
  };
}

/** A stop that has not finished by then is stuck: exit anyway rather than hang a service manager. */
const STOP_DEADLINE_MS = 10_000;

/**
 * `node dist/src/main.js` (what `npm start` runs): start, then on SIGTERM or SIGINT end the calls,
 * finish the recordings, close every listener and exit 0. A second signal exits at once.
 */
async function main(): Promise<void> {
  let platform: Platform | undefined;
  let logger: Logger | undefined;
  let stopRequested: NodeJS.Signals | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    // a signal during start-up is honoured once the platform is up (half-built services cannot be stopped)
    if (!platform || !logger) { stopRequested ??= signal; return; }
    const log = logger;
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, calls: platform.calls.size }, 'stopping');
    const deadline = setTimeout(() => {
      log.error({ afterMs: STOP_DEADLINE_MS }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    platform.stop().then(() => {
      log.info({ signal }, 'stopped');
      process.exit(0);
    }, (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    const config = loadConfig();
    logger = pino({ level: config.logLevel });
    platform = await startPlatform(config, logger);
  } catch (err) {
    process.stderr.write(`switchboard: ${err instanceof SchemaTooNewError ? err.message : startupFailureLine(err)}\n`);
    // a bug rather than a setting: the stack helps whoever debugs it
    if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '')) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    process.exit(1);
  }
  if (stopRequested) shutdown(stopRequested);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
