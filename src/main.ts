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
import { createHttpApp } from '../api/app.js';
import { Store, SchemaTooNewError } from './store/index.js';
import { provisionStore } from './provisioning.js';
import { AccountService } from './accounts/account-service.js';
import { createMailSender } from './mail/sender.js';
import { EventBus } from './events/event-bus.js';
import { WebhookDispatcher } from './events/webhook-dispatcher.js';
import { loadOrCreateLinkSecret, RecordingLinks } from './events/recording-links.js';
import { SmsReceiver } from './events/sms-receiver.js';

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
  /** Every committed event; consumers subscribe. */
  bus: EventBus;
  webhooks: WebhookDispatcher;
  recordingLinks: RecordingLinks;
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
  const callService = new CallService({
    sip, media, router, registry: calls, recordingsDir, recording: config.recording,
    ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
    logger: logger.child({ component: 'calls' }),
  });
  callService.start();
  const sms = new SmsReceiver(store, logger.child({ component: 'sms' }));
  sip.on('message', (m) => { void sms.handle(m); });
  sip.start();

  const bus = new EventBus(store, logger.child({ component: 'events' }));
  // The public URL may need the port the listener got (port 0 in tests), so links resolve it late.
  const linkOpts = { publicUrl: config.http.publicUrl ?? '', secret: loadOrCreateLinkSecret(join(dataDir, 'url-signing.key')), ttlSeconds: config.recording.urlTtlSeconds };
  const recordingLinks = new RecordingLinks(linkOpts);
  const w = config.webhooks;
  const webhooks = new WebhookDispatcher({
    store, bus, links: recordingLinks, logger: logger.child({ component: 'webhooks' }), allowPrivateTargets: w.allowPrivateTargets,
    timeoutMs: w.timeoutSeconds * 1000, concurrency: w.concurrency, retryBaseMs: w.retryBaseSeconds * 1000,
    retryMaxMs: w.retryMaxSeconds * 1000, retryWindowMs: w.retryHours * 3600_000, pollMs: w.pollSeconds * 1000,
  });

  const app = createHttpApp({
    calls, media, store, accounts, authAttemptsPerMinute: config.auth.attemptsPerMinute, logger: logger.child({ component: 'http' }),
    allowPrivateWebhookTargets: w.allowPrivateTargets, recordingLinks,
  });
  const server: Server = app.listen(config.http.port, config.http.host);
  await once(server, 'listening');
  const addr = server.address();
  const http = { host: config.http.host, port: typeof addr === 'object' && addr ? addr.port : config.http.port };
  if (!config.http.publicUrl) {
    const host = http.host === '0.0.0.0' || http.host === '::' ? (firstExternalIPv4() ?? '127.0.0.1') : http.host;
    linkOpts.publicUrl = `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
  }
  // After the listener: a backlog left by a crash starts draining once links can be served.
  webhooks.start();
  logger.info({ http, sip: sipAddresses }, 'Switchboard is up');
  let stopping: Promise<void> | undefined;

  return {
    config, sipServer, sipAddresses, http, sip, authThrottle, media, calls, store, bus, webhooks, recordingLinks,
    /** Idempotent: a second call waits for the first shutdown. */
    stop() {
      stopping ??= (async () => {
        await calls.endAll(SHUTDOWN);
        await callService.drain();
        await webhooks.close();
        bus.close();
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
