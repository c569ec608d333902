/**
 * Test stack for the SIP application: the embedded SipServer on loopback (free ports), an srf
 * client connected to it, and a SipApplication. Everything is closed on teardown.
 */
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import Srf from 'drachtio-srf';
import { SipServer } from '../../../sip/server/sip-server.js';
import { SipApplication, type SipAppOptions } from '../../../sip/sip-app.js';
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

export async function startStack(t: TeardownHost, opts: Partial<SipAppOptions> & { tcp?: boolean; ws?: boolean; start?: boolean } = {}): Promise<Stack> {
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
  const app = new SipApplication(srf, {
    realm: 'switchboard.test', users: USERS, minExpires: 60, maxExpires: 3600, defaultExpires: 600, trunks: [], ...opts,
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
