/**
 * Test harness for the SIP server: a SipServer on free ports, drachtio-srf apps connected to it, and
 * the scenario directory. Everything is closed on teardown.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import Srf from 'drachtio-srf';
import { SipServer } from '../../../sip/server/sip-server.js';
import type { SipTimers } from '../../../sip/server/transaction/timers.js';
import { freePort, type TeardownHost } from '../../helpers/sipp.js';

export const SECRET = 'cymru';

/** Scenario XMLs live in the source tree; tests run from dist/, so climb back to the repo. */
export function scenario(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const repo = here.includes('/dist/') ? here.slice(0, here.indexOf('/dist/')) : join(here, '../../..');
  return join(repo, 'test/sip/scenarios', name);
}

export interface TestServer {
  server: SipServer;
  sipPort: number;
  adminPort: number;
  wsPort?: number;
  sip: string;
}

export async function startServer(
  t: TeardownHost,
  opts: { timers?: Partial<SipTimers>; ws?: boolean; tcp?: boolean } = {},
): Promise<TestServer> {
  const sipPort = await freePort();
  const listen = [`udp:127.0.0.1:${sipPort}`];
  if (opts.tcp !== false) listen.push(`tcp:127.0.0.1:${sipPort}`);
  let wsPort: number | undefined;
  if (opts.ws) {
    wsPort = await freePort();
    listen.push(`ws:127.0.0.1:${wsPort}`);
  }
  const server = new SipServer({ listen, admin: { host: '127.0.0.1', port: 0 }, secret: SECRET, timers: opts.timers });
  t.teardown(() => server.close());
  const addr = await server.start();
  return { server, sipPort, adminPort: addr.admin.port, wsPort, sip: `127.0.0.1:${sipPort}` };
}

export async function connectSrf(t: TeardownHost, ts: TestServer, secret = SECRET): Promise<Srf> {
  const srf = new Srf();
  srf.on('error', () => undefined);
  t.teardown(() => {
    try {
      srf.disconnect();
    } catch {
      /* never connected */
    }
  });
  // srf's connect() resolves before authentication completes; wait for its 'connect' event
  const connected = new Promise<void>((resolve, reject) => {
    srf.once('connect', () => resolve());
    setTimeout(() => reject(new Error('srf did not connect')), 15000).unref();
  });
  void srf.connect({ host: '127.0.0.1', port: ts.adminPort, secret });
  await connected;
  return srf;
}

export const SDP = [
  'v=0',
  'o=- 1111 1 IN IP4 127.0.0.1',
  's=drachtio-app',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void;

/** srf's per-method registration (`srf.options(...)`, `srf.info(...)`) is missing from its typings. */
export function onMethod(srf: Srf, method: string, handler: Handler): void {
  (srf as unknown as Record<string, (h: Handler) => void>)[method.toLowerCase()]!.call(srf, handler);
}
