/**
 * The composition root: reads config, builds every service, wires them, starts listening.
 * The only file that knows them all.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
import { CallRecords } from './calls/call-records.js';
import { ApiCalls } from './calls/api-calls.js';
import { FlowCalls } from './calls/flow-calls.js';
import { BrowserBridges } from './calls/browser-bridge.js';
import { EmbedSessions } from './calls/embed-sessions.js';
import { AgentWidgetSessions } from './agents/agent-widget-sessions.js';
import { buildHttpApp } from '../api/app.js';
import { VisitorCredentials } from './widgets/visitor-credentials.js';
import { WidgetOrigins } from './widgets/widget-origins.js';
import { VisitorChat } from './widgets/visitor-chat.js';
import { AttachmentStore } from './widgets/attachments.js';
import { Store, SchemaTooNewError } from './store/index.js';
import { provisionStore } from './provisioning.js';
import { AccountService } from './accounts/account-service.js';
import { createMailSender } from './mail/sender.js';
import { PlatformHealth } from './health.js';
import { SipLink } from './sip-link.js';
import { explainListenError, sipListener, startupFailureLine } from './startup-errors.js';
import { EventBus } from './events/event-bus.js';
import { WebhookDispatcher } from './events/webhook-dispatcher.js';
import { loadOrCreateLinkSecret, RecordingLinks } from './events/recording-links.js';
import { SmsReceiver } from './events/sms-receiver.js';
import { createTtsProvider } from './speech/index.js';
import type { TtsProvider } from './speech/tts.js';
import { FlowEngine } from './flows/flow-engine.js';
import { ConferenceRooms } from './calls/conference-rooms.js';
import { Dialer } from './calls/dialer.js';

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
  health: PlatformHealth;
  /** Every committed event; consumers subscribe. */
  bus: EventBus;
  webhooks: WebhookDispatcher;
  recordingLinks: RecordingLinks;
  /** Phonevoice embed sessions (tests mint and inspect them). */
  embeds: EmbedSessions;
  /** Voylo agent-widget sessions (tests mint and revoke them). */
  agentWidgets: AgentWidgetSessions;
  /** Call flows' text-to-speech (tests warm it before timing what a caller hears). */
  tts: TtsProvider;
  stop(): Promise<void>;
}

/** Where a visitor's browser opens SIP over WebSocket: the first wss (else ws) listener, by the page's host name when it listens on all. */
function visitorWsUrl(addrs: Platform['sipAddresses'], hostname: string): string | undefined {
  const l = addrs.find((a) => a.transport === 'wss') ?? addrs.find((a) => a.transport === 'ws');
  if (!l) return undefined;
  const host = l.host === '0.0.0.0' || l.host === '::' ? hostname : l.host;
  return `${l.transport}://${host.includes(':') ? `[${host}]` : host}:${l.port}`;
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
  const mail = createMailSender(config.mail.smtp, logger.child({ component: 'mail' }));
  const accounts = new AccountService({
    store,
    mail,
    logger: logger.child({ component: 'accounts' }),
    codeTtlMinutes: config.auth.codeTtlMinutes,
    maxCodeAttempts: config.auth.maxCodeAttempts,
  });

  const widgetOrigins = new WidgetOrigins(store.widgets);
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
      connections: {
        ...config.sip.connections,
        wsAllowedOrigins: config.sip.wsAllowedOrigins,
        // Visitor widgets run on their customers' sites: those pages may open the WebSocket too.
        wsOriginCheck: (origin) => widgetOrigins.allows(origin),
      },
      maxTransactionsPerSource: config.sip.maxTransactionsPerSource,
      dnsServers: config.sip.dnsServers,
      logger: logger.child({ component: 'sip-server' }),
    });
    const listeners = [
      ...config.sip.listen.map(sipListener),
      { label: 'SIP admin (drachtio)', host: config.sip.admin.host, port: config.sip.admin.port, datagram: false },
    ];
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
    maxFailures: t.maxFailures,
    windowMs: t.windowSeconds * 1000,
    blockMs: t.blockSeconds * 1000,
    maxBlockMs: t.maxBlockSeconds * 1000,
    trustMs: t.trustSeconds * 1000,
    maxKeys: t.maxTrackedKeys,
  });
  // Web visitors' one-call credentials live in memory beside the agents' in the database.
  const visitors = new VisitorCredentials({ ttlMs: config.widgets.visitorCredentialSeconds * 1000 });
  const chat = new VisitorChat({
    store,
    attachments: new AttachmentStore(join(dataDir, 'widget-uploads')),
    sessionTtlMs: config.widgets.chatSessionSeconds * 1000,
    uploadMaxBytes: config.widgets.uploadMaxBytes,
    logger: logger.child({ component: 'chat' }),
  });
  const sip = new SipApplication(srf, {
    realm: config.registrar.realm,
    // Looked up per authentication, so agents added through the API or the admin CLI can register at once.
    // An embed page's or a web visitor's credentials (minted per page/call) or an agent widget session's first, then the agents'.
    credentials: async (username) => {
      const embed = embeds.sipCredential(username);
      if (embed) return embed;
      const visitor = visitors.get(username);
      if (visitor) return { password: visitor.password, displayName: visitor.displayName };
      return (await agentWidgets.sipCredential(username)) ?? store.agents.sipCredential(username);
    },
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
  // Read per call: numbers and agents change at run time through the API and the admin CLI.
  const router = new CallRouter({
    directory: {
      findNumber: (e164) => store.numbers.findByE164(e164),
      findAgent: (id) => store.agents.get(id),
      isAgent: async (username) => (await store.agents.findByUsername(username)) !== undefined,
      findApplication: (id) => store.applications.get(id),
      numberCallback: (id) => store.numbers.callbackConfig(id),
    },
    defaultTrunk: config.trunks[0]?.name,
    visitors,
  });
  // Speech for call flows' SAY; warmed in the background so the first caller does not wait for it,
  // and start-up does not wait either.
  const tts = createTtsProvider(config, logger.child({ component: 'tts' }));
  if (config.speech.tts.warmUp) {
    void Promise.resolve(tts.warmUp?.()).catch((err: unknown) => logger.warn({ err }, 'speech engine warm-up failed'));
  }
  const calls = new CallRegistry();
  // Flows' CONFERENCE rooms: each joins its members over loopback RTP links (see conference-rooms.ts).
  const conferences = new ConferenceRooms({
    media,
    linkAddress: config.rtp.address === '0.0.0.0' ? '127.0.0.1' : config.rtp.address,
    logger: logger.child({ component: 'conferences' }),
  });
  const flows = new FlowEngine({
    tts,
    dataDir,
    logger: logger.child({ component: 'flows' }),
    allowPrivateTargets: config.webhooks.allowPrivateTargets,
    // DIAL rings through the same SIP application and trunk as the calls API, under the same guards.
    telephony: {
      dialer: new Dialer(sip),
      registry: calls,
      rooms: conferences,
      directory: {
        applicationProject: async (id) => (await store.applications.get(id))?.projectId,
        projectNumbers: async (projectId) => (await store.numbers.list(projectId)).map((n) => n.e164),
        isOwnNumber: async (e164) => (await store.numbers.findByE164(e164)) !== undefined,
        findAgent: (username) => store.agents.findByUsername(username),
      },
      trunk: config.trunks[0]?.name,
      blockedPrefixes: config.calls.blockedPrefixes,
      recordsFlushed: (call) => records.flushed(call),
    },
  });
  // Subscribed before any call can start: every call the registry announces gets its record.
  const records = new CallRecords({ store, registry: calls, logger: logger.child({ component: 'call-records' }) });
  const callService = new CallService({
    sip,
    media,
    router,
    registry: calls,
    recordingsDir,
    recording: config.recording,
    ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
    logger: logger.child({ component: 'calls' }),
    // Bound late: the browser bridges need the service's dialer.
    claim: (invite) => browserBridges.claim(invite) || embeds.claim(invite),
    flows,
  });
  const browserBridges: BrowserBridges = new BrowserBridges({
    media,
    registry: calls,
    dialer: callService.dialer,
    recording: config.recording,
    recordingsDir,
    ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
    joinTimeoutMs: config.calls.agentJoinTimeoutSeconds * 1000,
    agentProject: async (username) => (await store.agents.findByUsername(username))?.projectId,
    logger: logger.child({ component: 'calls' }),
  });
  callService.start();
  const flowCalls = new FlowCalls({
    store,
    calls: callService,
    records,
    flows,
    trunk: config.trunks[0]?.name,
    ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
    blockedPrefixes: config.calls.blockedPrefixes,
    logger: logger.child({ component: 'flow-calls' }),
  });
  const linkSecret = loadOrCreateLinkSecret(join(dataDir, 'url-signing.key'));
  const agentWidgets: AgentWidgetSessions = new AgentWidgetSessions({ store, secret: linkSecret });
  // A revoked widget is kicked: its registrations go, and its WebSocket closes (ending its calls).
  agentWidgets.on('revoked', ({ sipUser, aor }) => {
    for (const b of sip.registrar.removeRegisteredBy(aor, sipUser)) sipServer?.closeConnection(b.source);
  });
  const embeds: EmbedSessions = new EmbedSessions({
    secret: linkSecret,
    liveCall: (id) => records.liveCall(id),
    browser: browserBridges,
    connectTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
    logger: logger.child({ component: 'embeds' }),
  });
  const apiCalls = new ApiCalls({
    store,
    calls: callService,
    records,
    browser: browserBridges,
    trunk: config.trunks[0]?.name,
    ringTimeoutMs: config.calls.ringTimeoutSeconds * 1000,
    blockedPrefixes: config.calls.blockedPrefixes,
    logger: logger.child({ component: 'api-calls' }),
    flowCalls,
  });
  const sms = new SmsReceiver(store, logger.child({ component: 'sms' }));
  sip.on('message', (m) => {
    void sms.handle(m);
  });
  sip.start();

  const bus = new EventBus(store, logger.child({ component: 'events' }));
  // The public URL may need the port the listener got (port 0 in tests), so links resolve it late.
  const linkOpts = {
    publicUrl: config.http.publicUrl ?? '',
    secret: linkSecret,
    ttlSeconds: config.recording.urlTtlSeconds,
  };
  const recordingLinks = new RecordingLinks(linkOpts);
  const w = config.webhooks;
  const webhooks = new WebhookDispatcher({
    store,
    bus,
    links: recordingLinks,
    logger: logger.child({ component: 'webhooks' }),
    allowPrivateTargets: w.allowPrivateTargets,
    timeoutMs: w.timeoutSeconds * 1000,
    concurrency: w.concurrency,
    retryBaseMs: w.retryBaseSeconds * 1000,
    retryMaxMs: w.retryMaxSeconds * 1000,
    retryWindowMs: w.retryHours * 3600_000,
    pollMs: w.pollSeconds * 1000,
  });

  const wsListener = sipAddresses.find((a) => a.transport === 'wss') ?? sipAddresses.find((a) => a.transport === 'ws');
  const embedDeps = {
    sessions: embeds,
    publicUrl: () => linkOpts.publicUrl,
    // The page reaches the SIP WebSocket on the host it was loaded from.
    sipWebSocket: (hostname: string) =>
      wsListener && `${wsListener.transport}://${hostname.includes(':') ? `[${hostname}]` : hostname}:${wsListener.port}`,
  };
  const agentWidgetDeps = {
    sessions: agentWidgets,
    publicUrl: () => linkOpts.publicUrl,
    sipWebSocket: embedDeps.sipWebSocket,
    bundleDir: join(dirname(fileURLToPath(import.meta.url)), '..', 'widget', 'agent'),
  };
  const health = new PlatformHealth({ media, calls, sipLink: () => sipLink.snapshot() });
  const httpApp = buildHttpApp({
    store,
    accounts,
    apiCalls,
    flowCalls,
    authAttemptsPerMinute: config.auth.attemptsPerMinute,
    health,
    logger: logger.child({ component: 'http' }),
    options: {
      healthDetails: config.http.healthDetails,
      healthToken: config.http.healthToken,
      sourceMaps: config.http.sourceMaps,
    },
    allowPrivateWebhookTargets: w.allowPrivateTargets,
    recordingLinks,
    embeds: embedDeps,
    widgets: {
      credentials: visitors,
      sipWsUrl: (hostname) => config.widgets.sipWsUrl ?? visitorWsUrl(sipAddresses, hostname),
      sipDomain: config.registrar.realm,
      sessionsPerMinute: config.widgets.sessionsPerMinute,
    },
    agentWidgets: agentWidgetDeps,
    chat,
  });
  const server: Server = httpApp.app.listen(config.http.port, config.http.host);
  const closeSockets = httpApp.attach(server);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await calls.endAll(SHUTDOWN);
      conferences.close();
      await callService.drain();
      await browserBridges.drain();
      // The final statuses of the calls just ended reach the database before it closes.
      await records.flushed();
      records.close();
      await webhooks.close();
      await tts.close().catch(() => undefined);
      bus.close();
      await sip.close().catch(() => undefined);
      visitors.close();
      chat.close();
      closeSockets();
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
  if (!config.http.publicUrl) {
    const host = http.host === '0.0.0.0' || http.host === '::' ? (firstExternalIPv4() ?? '127.0.0.1') : http.host;
    linkOpts.publicUrl = `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
  }
  // After the listener: a backlog left by a crash starts draining once links can be served.
  webhooks.start();
  // attachments of sessions that ended while the server was down go at once
  chat.start();
  logger.info({ http, sip: sipAddresses }, 'Switchboard is up');

  return {
    config,
    sipServer,
    sipAddresses,
    http,
    sip,
    authThrottle,
    media,
    calls,
    records,
    store,
    health,
    bus,
    webhooks,
    recordingLinks,
    embeds,
    agentWidgets,
    tts,
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
    if (!platform || !logger) {
      stopRequested ??= signal;
      return;
    }
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
    platform.stop().then(
      () => {
        log.info({ signal }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
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
