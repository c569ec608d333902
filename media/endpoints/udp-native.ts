/**
 * The UDP send addon (media/native/udp-send.c), when it was built: sends on a dgram socket's own
 * descriptor in one N-API call instead of dgram's per-packet JavaScript and request object. Absent
 * (not Linux, no compiler when installed) or switched off with SWITCHBOARD_UDP_NATIVE=0, callers
 * send through dgram; both paths carry the same packets.
 */
import type dgram from 'node:dgram';
import { createRequire } from 'node:module';

export interface UdpNative {
  /** Header and payload gathered into one datagram; bytes sent or -errno. `to` null: connected socket. */
  send(fd: number, head: Buffer, payload: Buffer | null, to: Buffer | null): number;
  /** Several datagrams to one destination in one sendmmsg; how many went, or -errno if none. */
  sendBatch(fd: number, datagrams: Buffer[], to: Buffer | null): number;
  /** A sockaddr for send(); null when `ip` is not a literal IPv4/IPv6 address. */
  sockaddr(ip: string, port: number): Buffer | null;
}

// dist/media/endpoints (compiled) and media/endpoints (source) both reach media/native/build.
const CANDIDATES = ['../../../media/native/build/Release/udp_send.node', '../native/build/Release/udp_send.node'];

function load(): UdpNative | undefined {
  if (process.env.SWITCHBOARD_UDP_NATIVE === '0' || process.platform !== 'linux') return undefined;
  const require = createRequire(import.meta.url);
  for (const path of CANDIDATES) {
    try {
      return require(path) as UdpNative;
    } catch {
      // not built here; try the next place, then fall back to dgram
    }
  }
  return undefined;
}

export const udpNative: UdpNative | undefined = load();

/**
 * The descriptor of a bound dgram socket, or -1. dgram keeps its handle under an internal symbol
 * (reading the public-looking `_handle` prints a deprecation warning).
 */
export function socketFd(sock: dgram.Socket): number {
  const state = Object.getOwnPropertySymbols(sock).find((s) => s.description === 'state symbol');
  const handle = state ? (sock as unknown as Record<symbol, { handle?: { fd?: unknown } }>)[state]?.handle : undefined;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}
