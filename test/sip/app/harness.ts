/**
 * Test stack for the SIP application: the embedded SipServer on loopback (free ports), an srf
 * client connected to it, and a SipApplication. Everything is closed on teardown.
 */
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import Srf from 'drachtio-srf';
import { SipServer } from '../../../sip/server/sip-server.js';
import { AuthThrottle, SipApplication, staticCredentials, type SipAppOptions } from '../../../sip/sip-app.js';
import { configSchema } from '../../../config/schema.js';
import type { TeardownHost } from '../../helpers/sipp.js';

export interface Stack {
  server: SipServer;
  srf: Srf;
  app: SipApplication;
  /** SIP UDP port of the server on 127.0.0.1. */
  udpPort: number;
  tcpPort?: number;
  wsPort?: number;
}

export const USERS = [
  { username: 'alice', password: 'alice-pw' },
  { username: 'bob', password: 'bob-pw' },
];

/** The configured defaults (config/schema.ts), so tests exercise what `npm start` runs. */
const DEFAULTS = configSchema.parse({});

/** An AuthThrottle with the configured defaults, `over` applied. */
export function defaultThrottle(over: Partial<ConstructorParameters<typeof AuthThrottle>[0]> = {}): AuthThrottle {
  const t = DEFAULTS.authThrottle;
  return new AuthThrottle({
    maxFailures: t.maxFailures,
    windowMs: t.windowSeconds * 1000,
    blockMs: t.blockSeconds * 1000,
    maxBlockMs: t.maxBlockSeconds * 1000,
    trustMs: t.trustSeconds * 1000,
    maxKeys: t.maxTrackedKeys,
    ...over,
  });
}

export async function startStack(
  t: TeardownHost,
  opts: Partial<SipAppOptions> & { tcp?: boolean; ws?: boolean; start?: boolean } = {},
): Promise<Stack> {
  const secret = randomBytes(8).toString('hex');
  const listen = ['udp:127.0.0.1:0'];
  if (opts.tcp) listen.push('tcp:127.0.0.1:0');
  if (opts.ws) listen.push('ws:127.0.0.1:0');
  const server = new SipServer({ listen, admin: { host: '127.0.0.1', port: 0 }, secret, timers: { t1: 100, t2: 400, t4: 500 } });
  t.teardown(() => server.close());
  const addrs = await server.start();
  const srf = new Srf();
  srf.on('error', () => undefined);
  const connected = once(srf, 'connect');
  srf.connect({ host: addrs.admin.host, port: addrs.admin.port, secret });
  await connected;
  const r = DEFAULTS.registrar;
  const app = new SipApplication(srf, {
    realm: 'switchboard.test',
    credentials: staticCredentials(USERS),
    throttle: defaultThrottle(),
    minExpires: r.minExpires,
    maxExpires: r.maxExpires,
    defaultExpires: r.defaultExpires,
    trunks: [],
    // Both algorithms, so tests see the multi-challenge (the shipped default offers MD5 only).
    digestAlgorithms: ['MD5', 'SHA-256'],
    nonceTtlMs: r.nonceLifetimeSeconds * 1000,
    acceptRfc2069: r.acceptRfc2069,
    ...opts,
  });
  t.teardown(async () => {
    await app.close();
    srf.disconnect();
  });
  if (opts.start !== false) app.start();
  const udp = addrs.sip.find((a) => a.transport === 'udp')!;
  const tcp = addrs.sip.find((a) => a.transport === 'tcp');
  const ws = addrs.sip.find((a) => a.transport === 'ws');
  return { server, srf, app, udpPort: udp.port, tcpPort: tcp?.port, wsPort: ws?.port };
}
