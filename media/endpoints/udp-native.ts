/**
 * The UDP addon (media/native), when it was built: sends on a dgram socket's own descriptor in one
 * N-API call instead of dgram's per-packet JavaScript and request object, and receives every
 * registered socket's datagrams in batches (udp-receive.ts). Absent (not Linux, no compiler when
 * installed) or switched off with SWITCHBOARD_UDP_NATIVE=0, callers send and receive through dgram;
 * both paths carry the same packets.
 */
import type dgram from 'node:dgram';
import { mediaAddon } from '../native/addon.js';

export interface UdpNative {
  /** Header and payload gathered into one datagram; bytes sent or -errno. `to` null: connected socket. */
  send(fd: number, head: Buffer, payload: Buffer | null, to: Buffer | null): number;
  /** Several datagrams to one destination in one sendmmsg; how many went, or -errno if none. */
  sendBatch(fd: number, datagrams: Buffer[], to: Buffer | null): number;
  /** A sockaddr for send(); null when `ip` is not a literal IPv4/IPv6 address. */
  sockaddr(ip: string, port: number): Buffer | null;
  /** An IPv4 (4 bytes) or IPv6 (16 bytes) address as dgram would report it. */
  ntop(bytes: Buffer): string;
  /**
   * A batch receiver on this thread's event loop: `onBatch(n)` when n datagrams lie in the first n
   * slots of `ring` (`slotBytes` each), described by 8 int32 each in `meta` (see udp-recv.c).
   */
  recvOpen(onBatch: (count: number) => void, ring: Buffer, meta: Buffer, slotBytes: number): NativeReceiver;
  /** Reads `fd` from now on, its datagrams tagged `id`; 0 or -errno. */
  recvAdd(rx: NativeReceiver, fd: number, id: number): number;
  /** Stops reading `fd` (before it is closed); 0 or -errno. */
  recvRemove(rx: NativeReceiver, fd: number): number;
  recvClose(rx: NativeReceiver): void;
}

/** Opaque handle of a native batch receiver. */
export type NativeReceiver = { readonly __nativeReceiver: unique symbol };

function load(): UdpNative | undefined {
  if (process.env.SWITCHBOARD_UDP_NATIVE === '0' || typeof mediaAddon?.send !== 'function') return undefined;
  return mediaAddon as unknown as UdpNative;
}

export const udpNative: UdpNative | undefined = load();

/**
 * The descriptor of a bound dgram socket, or -1. dgram keeps its handle under an internal symbol
 * (reading the public-looking `_handle` prints a deprecation warning).
 */
export function socketFd(sock: dgram.Socket): number {
  const fd = udpHandle(sock)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

interface UdpHandle {
  fd?: unknown;
  recvStop?: () => number;
  recvStart?: () => number;
}

function udpHandle(sock: dgram.Socket): UdpHandle | undefined {
  const state = Object.getOwnPropertySymbols(sock).find((s) => s.description === 'state symbol');
  return state ? (sock as unknown as Record<symbol, { handle?: UdpHandle }>)[state]?.handle : undefined;
}

/** Stops libuv reading a bound dgram socket, so that only the batch receiver does; false if it cannot. */
export function stopDgramReading(sock: dgram.Socket): boolean {
  const handle = udpHandle(sock);
  if (typeof handle?.recvStop !== 'function') return false;
  return handle.recvStop() === 0;
}

/** Lets libuv read the socket again (after the batch receiver let go of it); false if it cannot. */
export function resumeDgramReading(sock: dgram.Socket): boolean {
  const handle = udpHandle(sock);
  if (typeof handle?.recvStart !== 'function') return false;
  return handle.recvStart() === 0;
}
