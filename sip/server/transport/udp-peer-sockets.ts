/**
 * Connected UDP sockets sharing a listener's address and port, one per destination we send
 * requests to. A connected socket is the only way Node surfaces ICMP "port unreachable": the
 * kernel reports it as ECONNREFUSED on that socket. The error is remembered so the next send to
 * that destination (a retransmission) rejects and the transaction can end with 503 instead of
 * waiting 32 s for Timer B/F. Datagrams the peer sends back now arrive on the connected socket
 * (the kernel prefers it), so they are fed to the same receive path.
 */

import dgram from 'node:dgram';
import type { Logger } from 'pino';

interface PeerSocket {
  socket: dgram.Socket;
  ready: Promise<void>;
  error?: Error;
  errorAt: number;
  usedAt: number;
  heardFrom: boolean;
  holding: number;
  held: [Buffer, dgram.RemoteInfo][];
}

/**
 * How long a remembered ICMP error keeps failing sends to that destination: long enough to fail the
 * transaction's first retransmissions, short enough that a carrier which restarts is tried again.
 */
const ERROR_MEMORY_MS = 2_000;
const IDLE_MS = 60_000;

export class UdpPeerSockets {
  private readonly peers = new Map<string, PeerSocket>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly bindAddress: { host: string; port: number; type: 'udp4' | 'udp6'; ipv6Only: boolean },
    private readonly onMessage: (data: Buffer, rinfo: dgram.RemoteInfo) => void,
    private readonly log: Logger,
  ) {
    this.sweeper = setInterval(() => this.sweep(), IDLE_MS / 2);
    this.sweeper.unref();
  }

  /**
   * Sends `data` to host:port over the connected socket; rejects with the remembered ICMP error.
   * Resolves false when no connected socket could be set up (the caller falls back to the listener).
   */
  async send(data: Buffer, host: string, port: number): Promise<boolean> {
    if (this.closed) throw new Error('UDP peer sockets closed');
    const key = `${host}|${port}`;
    let peer = this.peers.get(key);
    if (peer?.error && Date.now() - peer.errorAt < ERROR_MEMORY_MS) throw peer.error;
    if (!peer || peer.error) {
      if (peer) this.drop(key, peer);
      peer = this.open(key, host, port);
    }
    peer.usedAt = Date.now();
    try {
      await peer.ready;
    } catch {
      return false;
    }
    const p = peer;
    if (p.heardFrom) {
      await new Promise<void>((resolve, reject) => p.socket.send(data, (err) => (err ? reject(err) : resolve())));
      return true;
    }
    // A destination never heard from may not exist: a local ICMP error surfaces within a loop
    // turn or two, so the first request can fail at once as the C++ server's does (a3 #24).
    // Replies that race in meanwhile are held back so the sender sees its send settle first.
    p.holding++;
    try {
      await new Promise<void>((resolve, reject) => p.socket.send(data, (err) => (err ? reject(err) : resolve())));
      for (let i = 0; i < 2 && !p.error; i++) await new Promise((r) => setImmediate(r));
      if (p.error) throw p.error;
    } finally {
      if (--p.holding === 0 && p.held.length > 0) setImmediate(() => this.release(p));
    }
    return true;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const [k, p] of this.peers) this.drop(k, p);
  }

  private open(key: string, host: string, port: number): PeerSocket {
    const socket = dgram.createSocket({ type: this.bindAddress.type, reuseAddr: true, ipv6Only: this.bindAddress.ipv6Only });
    const peer: PeerSocket = {
      socket,
      ready: Promise.resolve(),
      errorAt: 0,
      usedAt: Date.now(),
      heardFrom: false,
      holding: 0,
      held: [],
    };
    peer.ready = new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.bindAddress.host, port: this.bindAddress.port, exclusive: false }, () => {
        socket.connect(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    });
    peer.ready.catch(() => this.drop(key, peer));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      peer.error = Object.assign(new Error(`${host}:${port} unreachable (${err.code ?? err.message})`), { code: err.code });
      peer.errorAt = Date.now();
      this.log.debug({ err, host, port }, 'ICMP error from UDP peer');
    });
    socket.on('message', (data, rinfo) => {
      peer.heardFrom = true;
      if (peer.holding > 0) peer.held.push([data, rinfo]);
      else this.onMessage(data, rinfo);
    });
    this.peers.set(key, peer);
    return peer;
  }

  private release(p: PeerSocket): void {
    if (p.holding > 0) return;
    const held = p.held.splice(0);
    for (const [data, rinfo] of held) this.onMessage(data, rinfo);
  }

  private drop(key: string, peer: PeerSocket): void {
    if (this.peers.get(key) === peer) this.peers.delete(key);
    try {
      peer.socket.close();
    } catch {
      /* never bound or already closed */
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, p] of this.peers) if (now - p.usedAt > IDLE_MS) this.drop(k, p);
  }
}
