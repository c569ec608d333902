/**
 * Free ports for peers that bind themselves (sipp, baresip, the SIP server CLI). A peer's SIP port is
 * usually bound for UDP and TCP (and WS/TLS are TCP) at once, so a port only counts as free when
 * every one of those binds succeeds together; the sockets are held until all are bound and
 * released just before the port is handed out.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

function bindUdp(port: number, host: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', () => {
      s.close();
      resolve(undefined);
    });
    s.bind({ port, address: host, exclusive: true }, () => resolve(s));
  });
}

function listenTcp(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host, exclusive: true }, () => resolve(srv));
  });
}

async function release(held: (Socket | Server)[]): Promise<void> {
  await Promise.all(held.map((h) => new Promise<void>((r) => h.close(() => r()))));
}

/**
 * A port on `host` free for UDP and TCP; with `span` > 1, the first of `span` consecutive such
 * ports (RTP and RTCP, or a media port pair as sipp's `-mp` binds).
 */
export async function freePort(host = '127.0.0.1', span = 1): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await listenTcp(0, host);
    if (!first) continue;
    let base = (first.address() as { port: number }).port;
    if (span > 1 && base % 2 === 1) base -= 1; // RTP ports are even
    const held: (Socket | Server)[] = [first];
    let ok = base + span <= 65535;
    for (let p = base; ok && p < base + span; p++) {
      const tcp: Server | undefined = p === (first.address() as { port: number }).port ? first : await listenTcp(p, host);
      if (tcp && tcp !== first) held.push(tcp);
      const udp = tcp ? await bindUdp(p, host) : undefined;
      if (udp) held.push(udp);
      ok = tcp !== undefined && udp !== undefined;
    }
    await release(held);
    if (ok) return base;
  }
  throw new Error(`no free port on ${host}`);
}

/** An even port with the three after it free too: sipp's `-mp` binds audio and video RTP/RTCP there. */
export function freeMediaPort(host = '127.0.0.1'): Promise<number> {
  return freePort(host, 4);
}

/**
 * Whether some process has `port` bound (UDP) or listening (TCP), read from /proc/net so that
 * looking does not take the port from a peer that is about to bind it.
 */
export function portInUse(port: number, proto: 'udp' | 'tcp'): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const file of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local address, then remote, then state: 0A is LISTEN for TCP; UDP sockets are 07
      if (cols[1]?.endsWith(hex) && (proto === 'udp' || cols[3] === '0A')) return true;
    }
  }
  return false;
}

/** Resolves once `port` is bound (see `portInUse`); rejects after `timeoutMs` or when `alive()` turns false. */
export async function waitForPort(
  port: number,
  proto: 'udp' | 'tcp',
  timeoutMs = 10000,
  alive: () => boolean = () => true,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!portInUse(port, proto)) {
    if (!alive()) throw new Error(`the process meant to bind ${proto} port ${port} is gone`);
    if (Date.now() > until) throw new Error(`nothing bound ${proto} port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
