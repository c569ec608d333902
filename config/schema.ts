import { z } from 'zod';

/** `transport:host:port`, e.g. `udp:0.0.0.0:5060`, `ws:127.0.0.1:8088`, `tls:[::]:5061`. */
export const listenSpec = z
  .string()
  .regex(/^(udp|tcp|tls|ws|wss):(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected transport:host:port');

export const registrarUser = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  displayName: z.string().optional(),
});

/** A DID the carrier routes to us on this trunk; country/type/area code make it searchable. */
export const trunkNumber = z.object({
  number: z.string().regex(/^\+[1-9][0-9]{3,14}$/, 'expected an E.164 number such as +14155550123'),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166 alpha-2 country code')
    .optional(),
  type: z.enum(['local', 'mobile', 'toll-free', 'national']).optional(),
  areaCode: z
    .string()
    .regex(/^[0-9]{1,6}$/)
    .optional(),
});

export const trunk = z.object({
  name: z.string().min(1),
  host: z.string().min(1),
  /** Omitted with a host name: the carrier's SRV records name its servers and ports (RFC 3263). */
  port: z.number().int().min(1).max(65535).optional(),
  transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Send REGISTER to the carrier and keep the binding fresh. */
  register: z.boolean().default(false),
  expires: z.number().int().min(60).default(3600),
  /** Extra source addresses (IPs) the carrier sends from; the trunk host's address is always included. */
  inboundAddresses: z.array(z.string()).default([]),
  /** Our number/user at the carrier, used in From for outbound calls and in the REGISTER AOR. */
  fromUser: z.string().optional(),
  fromDomain: z.string().optional(),
  /** The DIDs of this trunk: the number inventory projects draw from. */
  numbers: z.array(trunkNumber).optional(),
});

export const configSchema = z.object({
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  dataDir: z.string().default('./data'),
  http: z
    .object({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(3000),
      /** /health shows calls, workers and the SIP link to anyone; otherwise only with healthToken. */
      healthDetails: z.boolean().default(false),
      /** `Authorization: Bearer <healthToken>` on /health shows the details. */
      healthToken: z.string().min(16).optional(),
      /** Serve the browser bundles' source maps (*.map), which hold the source. */
      sourceMaps: z.boolean().default(false),
      /** Base of links we hand out (recording URLs); default `http://<host>:<port>`. */
      publicUrl: z.string().url().optional(),
    })
    .prefault({}),
  sip: z
    .object({
      listen: z.array(listenSpec).min(1).default(['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060', 'ws:0.0.0.0:8088']),
      /** Address put in Via/Contact/SDP when the box sits behind NAT. */
      externalAddress: z.string().optional(),
      /** PEM files for the tls and wss listeners. */
      tls: z.object({ cert: z.string(), key: z.string() }).optional(),
      timers: z
        .object({
          t1: z.number().int().positive().default(500),
          t2: z.number().int().positive().default(4000),
          t4: z.number().int().positive().default(5000),
        })
        .prefault({}),
      maxMessageSize: z.number().int().min(1024).default(65535),
      /** UDP socket buffers (bytes); the kernel caps them at net.core.rmem_max / wmem_max. */
      udpReceiveBufferBytes: z.number().int().min(0).default(4194304),
      udpSendBufferBytes: z.number().int().min(0).default(1048576),
      /** Accepted TCP/TLS/WS connections: message deadline, idle deadline (0 never), cap per source address. */
      connections: z
        .object({
          headerTimeoutMs: z.number().int().min(0).default(10000),
          idleTimeoutMs: z.number().int().min(0).default(900000),
          maxPerSource: z.number().int().min(0).default(100),
        })
        .prefault({}),
      /** Origins allowed to open SIP WebSockets; empty = no Origin or the listener's own host name, `*` = any. */
      wsAllowedOrigins: z.array(z.string()).default([]),
      /** Server transactions one source may hold awaiting an answer or its ACK before it gets stateless 503s (0 = no cap). */
      maxTransactionsPerSource: z.number().int().min(0).default(2000),
      /** DNS servers (`ip` or `ip:port`) for carrier SRV/A lookups; empty uses the system's. */
      dnsServers: z.array(z.string()).default([]),
      /** Use an external C++ drachtio-server instead of the embedded one. */
      drachtio: z
        .object({
          host: z.string(),
          port: z.number().int().default(9022),
          secret: z.string(),
        })
        .optional(),
      /** Admin (drachtio protocol) listener of the embedded server; port 0 picks a free loopback port. */
      admin: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().default(0) }).prefault({}),
    })
    .prefault({}),
  registrar: z
    .object({
      realm: z.string().default('switchboard'),
      minExpires: z.number().int().positive().default(60),
      maxExpires: z.number().int().positive().default(3600),
      defaultExpires: z.number().int().positive().default(600),
      users: z.array(registrarUser).default([]),
      /**
       * Digest challenges offered, one header line each, in this order. SHA-256 (RFC 8760) is off by
       * default because some phones (baresip 1.0) fail on any challenge they cannot compute.
       */
      digestAlgorithms: z
        .array(z.enum(['MD5', 'SHA-256']))
        .min(1)
        .default(['MD5']),
      /** A nonce older than this is answered with a fresh challenge (stale=true); short, so a captured answer dies soon. */
      nonceLifetimeSeconds: z.number().int().min(10).max(3600).default(180),
      /**
       * Accept RFC 2069 digest answers (no qop, no nonce-count) although qop=auth is offered. Off: every
       * RFC 2617/7616/8760 client sends qop. On, each nonce is good for one request only.
       */
      acceptRfc2069: z.boolean().default(false),
    })
    .prefault({}),
  /** Failure throttling for password checks (SIP digest now, the HTTP API's logins later), per source and per account. */
  authThrottle: z
    .object({
      /** Failures within `windowSeconds` that lock a source address or an account. */
      maxFailures: z.number().int().min(1).default(10),
      windowSeconds: z.number().int().positive().default(300),
      /** The first lock; each further one doubles, up to `maxBlockSeconds`. */
      blockSeconds: z.number().int().positive().default(60),
      maxBlockSeconds: z.number().int().positive().default(3600),
      /** A phone that authenticated from an address keeps working from there this long while that address or account is locked. */
      trustSeconds: z.number().int().min(0).default(86400),
      /** Keys (addresses, accounts) remembered at most; bounds memory under a flood. */
      maxTrackedKeys: z.number().int().min(100).default(100000),
    })
    .prefault({}),
  trunks: z.array(trunk).default([]),
  database: z
    .object({
      /** Absent: the SQLite file DATA_DIR/switchboard.db. `postgres://user:pass@host/db` for PostgreSQL. */
      url: z
        .string()
        .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'expected postgres://… or sqlite:<path>')
        .optional(),
    })
    .prefault({}),
  mail: z
    .object({
      /** Absent: confirmation codes and other mail are written to the server log. */
      smtp: z
        .object({
          host: z.string().min(1),
          port: z.number().int().min(1).max(65535).default(587),
          /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
          secure: z.boolean().default(false),
          user: z.string().optional(),
          pass: z.string().optional(),
          from: z.string().min(3),
        })
        .optional(),
    })
    .prefault({}),
  auth: z
    .object({
      /** Sign-up and confirmation requests one source address may make per minute (then 429). */
      attemptsPerMinute: z.number().int().min(1).default(10),
      /** Wrong codes accepted for one confirmation code before it is void. */
      maxCodeAttempts: z.number().int().min(1).max(20).default(5),
      codeTtlMinutes: z.number().int().min(1).max(1440).default(30),
    })
    .prefault({}),
  rtp: z
    .object({
      /** Local address RTP sockets bind to. */
      address: z.string().default('0.0.0.0'),
      /** Address written into SDP; defaults to sip.externalAddress, then the first non-loopback IPv4. */
      advertisedAddress: z.string().optional(),
      portMin: z.number().int().min(1024).max(65535).default(20000),
      portMax: z.number().int().min(1024).max(65535).default(30000),
    })
    .prefault({}),
  media: z
    .object({
      /** Worker threads for codec work; 0 = one per core. */
      workers: z.number().int().min(0).default(0),
      /** Concurrent transcoded calls one worker admits before new calls get 503. */
      maxCallsPerWorker: z.number().int().positive().default(120),
      /** A worker whose event loop is busier than this share (0..1] in two load reports running admits no new calls. */
      maxWorkerUtilization: z.number().gt(0).max(1).default(0.85),
      /** A worker whose timers fire later than this (ms) in two load reports running admits no new calls. */
      maxWorkerLagMs: z.number().int().positive().default(80),
      jitterBufferMs: z.number().int().min(0).max(500).default(60),
    })
    .prefault({}),
  webrtc: z
    .object({
      /** Addresses offered as ICE host candidates; empty = all non-loopback interfaces. */
      iceAddresses: z.array(z.string()).default([]),
      /** Public address announced in candidates for a server behind NAT. */
      advertisedAddress: z.string().optional(),
      /** Offer loopback candidates (single-machine tests). */
      includeLoopback: z.boolean().default(false),
      stunServers: z.array(z.string()).default([]),
      turnServers: z
        .array(z.object({ urls: z.string(), username: z.string().optional(), credential: z.string().optional() }))
        .default([]),
    })
    .prefault({}),
  calls: z
    .object({
      /** A callee that has not answered after this long is cancelled; the caller gets 480 No Answer. */
      ringTimeoutSeconds: z.number().int().min(1).max(3600).default(60),
      /** A browser-mode API call (`vendeur_mode: "browser"`) nobody joined after this long ends `canceled`. */
      agentJoinTimeoutSeconds: z.number().int().min(1).max(86400).default(300),
      /** E.164 prefixes the calls API never dials (premium rate, satellite, international shared cost). */
      blockedPrefixes: z
        .array(z.string().regex(/^\+[0-9]{1,8}$/))
        .default(['+1900', '+1976', '+3389', '+4490', '+4491', '+4498', '+881', '+882', '+883', '+979']),
    })
    .prefault({}),
  webhooks: z
    .object({
      /** Accept receivers on loopback/private/link-local networks (tests, a receiver on the same LAN). Off: no SSRF into the box. */
      allowPrivateTargets: z.boolean().default(false),
      timeoutSeconds: z.number().positive().max(60).default(10),
      /** Deliveries in flight at once. */
      concurrency: z.number().int().min(1).max(1000).default(32),
      /** First retry delay; each failure doubles it (±25 % jitter) up to `retryMaxSeconds`. */
      retryBaseSeconds: z.number().positive().default(5),
      retryMaxSeconds: z.number().positive().default(3600),
      /** A delivery still failing this long after its event is marked failed. */
      retryHours: z.number().positive().default(24),
      /** Longest pause between looks at the outbox (events written by another process such as the admin CLI). */
      pollSeconds: z.number().positive().default(1),
    })
    .prefault({}),
  widgets: z
    .object({
      /** How long a web visitor's SIP credential may wait for its one call to start. */
      visitorCredentialSeconds: z.number().int().min(10).max(3600).default(120),
      /** Visitor call sessions (SIP credentials) one source address may mint per minute (then 429), as Aurion limits session creation. */
      sessionsPerMinute: z.number().int().min(1).default(5),
      /** The SIP WebSocket URL visitors' browsers connect to; default: the first ws/wss listener on the page's host name. */
      sipWsUrl: z.string().url().optional(),
      /** How long a visitor chat session (its bearer token) lives. */
      chatSessionSeconds: z.number().int().min(300).max(86400).default(3600),
      /** Largest chat attachment a visitor may upload (bytes). */
      uploadMaxBytes: z
        .number()
        .int()
        .min(1024)
        .max(25 * 1024 * 1024)
        .default(5 * 1024 * 1024),
    })
    .prefault({}),
  recording: z
    .object({
      /** Lifetime of a signed recording link handed out in an event. */
      urlTtlSeconds: z.number().int().min(60).default(86400),
      enabled: z.boolean().default(false),
      sampleRate: z.union([z.literal(8000), z.literal(16000), z.literal(48000)]).default(8000),
    })
    .prefault({}),
  speech: z
    .object({
      tts: z
        .object({
          /** `flite`: local and offline (WASM on worker threads); `openai`: any OpenAI-compatible /v1/audio/speech endpoint. */
          provider: z.enum(['flite', 'openai']).default('flite'),
          /** Flite voice used when an action names none: slt, rms, awb, kal16 (16 kHz) or kal (8 kHz). */
          voice: z.enum(['slt', 'rms', 'awb', 'kal16', 'kal']).default('slt'),
          /** Flite worker threads; synthesis is CPU-bound, so one leaves the other core to calls. */
          workers: z.number().int().min(1).max(16).default(1),
          /**
           * Speak one word at start-up so the first caller does not pay for thread start and WebAssembly
           * tier-up; tests that never speak turn it off to save that CPU.
           */
          warmUp: z.boolean().default(true),
          cache: z
            .object({
              /** Synthesized prompts kept in memory (bytes of PCM, least recently used dropped first). */
              memoryBytes: z.number().int().min(0).default(33554432),
              /** Prompts kept as WAV under DATA_DIR/tts-cache; 0 disables the disk cache. */
              diskBytes: z.number().int().min(0).default(268435456),
            })
            .prefault({}),
          openai: z
            .object({
              baseUrl: z.string().url().default('https://api.openai.com'),
              apiKey: z.string().optional(),
              model: z.string().min(1).default('tts-1'),
              voice: z.string().min(1).default('alloy'),
              responseFormat: z.enum(['wav', 'pcm']).default('wav'),
              /** Sample rate of `pcm` responses (OpenAI sends 24 kHz). */
              pcmSampleRate: z.number().int().min(8000).max(48000).default(24000),
              timeoutMs: z.number().int().min(100).default(15000),
            })
            .prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type TrunkConfig = z.infer<typeof trunk>;
export type TrunkNumberConfig = z.infer<typeof trunkNumber>;
export type RegistrarUser = z.infer<typeof registrarUser>;
