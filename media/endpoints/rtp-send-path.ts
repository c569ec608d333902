/**
 * How an RTP socket sends. Once symmetric RTP has latched onto the peer the socket is connected to
 * it: a connected send skips dgram's per-packet address lookup (a nextTick per packet) and the
 * kernel's route lookup, about 1.6 of the 10 µs a loopback packet costs. A connected socket only
 * hears its peer, so it is disconnected again when the peer goes quiet (another source may then
 * take over, as the latch allows) or a new SDP moves the call.
 */
import type dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { NetAddress } from './rtp-latch.js';

type State = 'open' | 'connecting' | 'connected';

export class RtpSendPath {
  private state: State = 'open';
  private peer: NetAddress | undefined;
  /** Sent while the connect is under way: a send by address queued behind it would fail (EISCONN). */
  private held: Array<{ buf: Buffer; to: NetAddress }> = [];
  /** unpin() came while connecting: disconnect as soon as the connect lands. */
  private unpinWhenConnected = false;

  constructor(
    private readonly sock: dgram.Socket,
    private readonly log: Logger,
  ) {}

  /** Where the socket is connected (or connecting) to; undefined while it sends by address. */
  get pinned(): NetAddress | undefined {
    return this.state === 'open' || this.unpinWhenConnected ? undefined : this.peer;
  }

  send(buf: Buffer, to: NetAddress): void {
    if (this.state === 'connected' && this.peer === to) {
      this.sock.send(buf);
      return;
    }
    if (this.state === 'connecting') {
      this.held.push({ buf, to });
      return;
    }
    if (this.state === 'connected') this.unpin();
    this.sendTo(buf, to);
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
      for (const h of held) this.send(h.buf, h.to);
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

  /** The socket is closing: nothing more is sent. */
  close(): void {
    this.state = 'open';
    this.held = [];
  }

  private sendTo(buf: Buffer, to: NetAddress): void {
    try {
      this.sock.send(buf, to.port, to.address);
    } catch (err) {
      // e.g. an IPv6 peer on an IPv4 socket: the leg is silent, the worker carries on
      this.log.debug({ err }, 'RTP not sent');
    }
  }
}
