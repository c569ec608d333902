/**
 * How an RTP socket sends. Once symmetric RTP has latched onto the peer the socket is connected to
 * it: a connected send skips dgram's per-packet address lookup (a nextTick per packet) and the
 * kernel's route lookup, about 1.6 of the 10 µs a loopback packet costs. A connected socket only
 * hears its peer, so it is disconnected again when the peer goes quiet (another source may then
 * take over, as the latch allows) or a new SDP moves the call.
 *
 * With the UDP send addon (udp-native.ts) a packet leaves in one sendmsg on the socket's descriptor,
 * its header and payload gathered from where they lie (no copy, no dgram request object); without
 * it, through dgram as one freshly joined buffer. The connect/latch dance is the same on both paths.
 */
import type dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { NetAddress } from './rtp-latch.js';
import { socketFd, udpNative, type UdpNative } from './udp-native.js';

const ECONNREFUSED = 111;

type State = 'open' | 'connecting' | 'connected';

export class RtpSendPath {
  private state: State = 'open';
  private peer: NetAddress | undefined;
  /** Sent while the connect is under way: a send by address queued behind it would fail (EISCONN). */
  private held: Array<{ buf: Buffer; to: NetAddress }> = [];
  /** unpin() came while connecting: disconnect as soon as the connect lands. */
  private unpinWhenConnected = false;
  private native: UdpNative | undefined;
  private closed = false;
  private readonly fd: number;
  /** The last unconnected destination and its sockaddr, built once per address object. */
  private addrFor: NetAddress | undefined;
  private addr: Buffer | null = null;

  constructor(
    private readonly sock: dgram.Socket,
    private readonly log: Logger,
    /** null: dgram only (tests of that path). */
    native: UdpNative | null = udpNative ?? null,
  ) {
    this.fd = native ? socketFd(sock) : -1;
    this.native = native && this.fd >= 0 ? native : undefined;
  }

  /** 'native' when packets go out through the addon, 'dgram' otherwise. */
  get via(): 'native' | 'dgram' {
    return this.native ? 'native' : 'dgram';
  }

  /** Where the socket is connected (or connecting) to; undefined while it sends by address. */
  get pinned(): NetAddress | undefined {
    return this.state === 'open' || this.unpinWhenConnected ? undefined : this.peer;
  }

  /**
   * One datagram: `head` then `payload`. Both may be reused by the caller as soon as this returns
   * (the native path hands them to the kernel now; the dgram path copies them).
   */
  send(head: Buffer, payload: Buffer | null, to: NetAddress): void {
    if (this.closed) return;
    if (this.state === 'connected' && this.peer === to) {
      if (this.native) this.check(this.native.send(this.fd, head, payload, null));
      else this.sock.send(join(head, payload));
      return;
    }
    if (this.state === 'connecting') {
      this.held.push({ buf: join(head, payload), to });
      return;
    }
    if (this.state === 'connected') this.unpin();
    this.sendTo(head, payload, to);
  }

  /** Connects to the latched peer; `to` is compared by identity with the later sends' targets. */
  pin(to: NetAddress): void {
    if (this.state === 'connecting' && this.peer === to) this.unpinWhenConnected = false;
    if (this.state !== 'open') return;
    this.state = 'connecting';
    this.peer = to;
    this.unpinWhenConnected = false;
    this.sock.connect(to.port, to.address, (err?: Error) => {
      if (this.state !== 'connecting') return; // closed meanwhile
      if (err) {
        this.log.debug({ err }, 'RTP socket not connected; sending by address');
        this.state = 'open';
      } else {
        this.state = 'connected';
        if (this.unpinWhenConnected) this.unpin();
      }
      const held = this.held;
      this.held = [];
      for (const h of held) this.send(h.buf, null, h.to);
    });
  }

  /** Back to sending by address and hearing every source. */
  unpin(): void {
    if (this.state === 'connecting') {
      this.unpinWhenConnected = true;
      return;
    }
    if (this.state === 'connected') {
      try {
        this.sock.disconnect();
      } catch (err) {
        this.log.debug({ err }, 'RTP socket disconnect');
      }
    }
    this.state = 'open';
    this.peer = undefined;
    this.unpinWhenConnected = false;
  }

  /** The socket is closing: nothing more is sent (its descriptor number may soon be another socket's). */
  close(): void {
    this.closed = true;
    this.native = undefined;
    this.state = 'open';
    this.held = [];
  }

  private sendTo(head: Buffer, payload: Buffer | null, to: NetAddress): void {
    if (this.native) {
      if (this.addrFor !== to) {
        this.addrFor = to;
        this.addr = this.native.sockaddr(to.address, to.port);
      }
      // null: not an address literal (a host name from the SDP): dgram resolves it below
      if (this.addr) return this.check(this.native.send(this.fd, head, payload, this.addr));
    }
    try {
      this.sock.send(join(head, payload), to.port, to.address);
    } catch (err) {
      // e.g. an IPv6 peer on an IPv4 socket: the leg is silent, the worker carries on
      this.log.debug({ err }, 'RTP not sent');
    }
  }

  /** A failed native send is a lost packet, as a dropped datagram would be; the peer's ICMP is not news. */
  private check(result: number): void {
    if (result >= 0 || result === -ECONNREFUSED) return;
    this.log.debug({ errno: -result }, 'RTP not sent');
  }
}

function join(head: Buffer, payload: Buffer | null): Buffer {
  if (!payload) return head.length === 0 ? head : Buffer.from(head);
  const buf = Buffer.allocUnsafe(head.length + payload.length);
  head.copy(buf, 0);
  payload.copy(buf, head.length);
  return buf;
}
