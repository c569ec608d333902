/**
 * One TCP/TLS or WebSocket connection carrying SIP. TCP/TLS frames by Content-Length and answers
 * CRLFCRLF pings; WebSocket carries exactly one SIP message per WS message (RFC 7118 §5).
 */

import { EventEmitter } from 'node:events';
import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import type { WebSocket, RawData } from 'ws';
import type { TransportAddress } from '../message.js';
import { StreamFramer } from '../framing.js';
import { bareHost } from './listen-spec.js';

export type StreamTransport = 'tcp' | 'tls' | 'ws' | 'wss';

interface ConnectionEvents {
  message: [Buffer];
  close: [];
  error: [Error];
}

let sequence = 0;

/** Deadlines of an accepted connection; 0 disables one. */
export interface ConnectionTimeouts {
  /** A message begun (or, on a fresh inbound connection, the first one) must be complete within this. */
  headerTimeoutMs: number;
  /** No message either way for this long ends the connection. */
  idleTimeoutMs: number;
  /** After a framing error the connection stops reading but stays writable this long for pending answers. */
  lingerMs: number;
}

export abstract class StreamConnection extends EventEmitter<ConnectionEvents> {
  readonly id: string;
  closed = false;
  constructor(
    readonly transport: StreamTransport,
    readonly remote: TransportAddress,
    readonly local: TransportAddress,
  ) {
    super();
    this.id = `${transport}-${++sequence}-${remote.host}:${remote.port}`;
  }
  abstract write(data: Buffer): Promise<void>;
  abstract close(): void;
  private idleTimer?: NodeJS.Timeout;
  private idleMs = 0;
  /** Starts the idle deadline; every message in or out pushes it back. */
  protected watchIdle(ms: number): void {
    this.idleMs = ms;
    this.touch();
  }
  protected touch(): void {
    if (this.idleMs <= 0 || this.closed) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.expire('idle'), this.idleMs);
      this.idleTimer.unref();
    }
  }
  protected expire(why: string): void {
    if (this.closed) return;
    this.emit('error', new Error(`connection ${this.id} closed: ${why}`));
    this.close();
  }
  protected markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.emit('close');
  }
}

export function socketAddresses(transport: StreamTransport, s: Socket): { remote: TransportAddress; local: TransportAddress } {
  return {
    remote: { transport, host: bareHost(s.remoteAddress ?? ''), port: s.remotePort ?? 0 },
    local: { transport, host: bareHost(s.localAddress ?? ''), port: s.localPort ?? 0 },
  };
}

/** TCP or TLS (a tls.TLSSocket is a net.Socket). */
export class SocketConnection extends StreamConnection {
  private readonly framer: StreamFramer;
  private headerTimer?: NodeJS.Timeout;
  private lingerTimer?: NodeJS.Timeout;
  /**
   * @param inbound an accepted connection must send a complete message within the header timeout
   *   (one that connects and sends nothing, or half a header, is not held forever).
   */
  constructor(
    transport: 'tcp' | 'tls',
    private readonly socket: Socket,
    maxSize: number,
    private readonly timeouts: ConnectionTimeouts = { headerTimeoutMs: 0, idleTimeoutMs: 0, lingerMs: 32_000 },
    inbound = false,
  ) {
    const { remote, local } = socketAddresses(transport, socket);
    super(transport, remote, local);
    this.framer = new StreamFramer(maxSize);
    this.framer.on('message', (m) => {
      this.touch();
      this.emit('message', m);
    });
    // an RFC 5626 keep-alive is what keeps a registered phone's quiet connection alive: it counts as traffic
    this.framer.on('keepalive', () => {
      this.touch();
      if (!socket.destroyed) socket.write('\r\n');
    });
    this.framer.on('error', (e) => this.onFramingError(e));
    socket.on('data', (chunk: Buffer) => {
      this.framer.push(chunk);
      this.armHeaderTimer(this.framer.pending > 0);
    });
    socket.on('error', (e) => this.emit('error', e));
    socket.on('close', () => this.markClosed());
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    if (inbound) this.armHeaderTimer(true);
    this.watchIdle(timeouts.idleTimeoutMs);
  }
  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.socket.destroyed) {
        reject(new Error(`connection ${this.id} is closed`));
        return;
      }
      this.touch();
      this.socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }
  close(): void {
    this.clearTimers();
    this.socket.destroy();
    this.markClosed();
  }
  protected override markClosed(): void {
    this.clearTimers();
    super.markClosed();
  }
  private clearTimers(): void {
    if (this.headerTimer) clearTimeout(this.headerTimer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.headerTimer = undefined;
  }
  /** Runs while part of a message is buffered (or nothing arrived yet on a fresh connection). */
  private armHeaderTimer(waiting: boolean): void {
    if (!waiting || this.lingerTimer) {
      if (this.headerTimer) {
        clearTimeout(this.headerTimer);
        this.headerTimer = undefined;
      }
      return;
    }
    if (this.headerTimer || this.timeouts.headerTimeoutMs <= 0) return;
    this.headerTimer = setTimeout(() => this.expire('message not completed in time'), this.timeouts.headerTimeoutMs);
    this.headerTimer.unref();
  }
  /**
   * The stream cannot be resynchronised, but the requests before the bad frame are still being
   * answered: stop reading, keep the socket writable a while, then close it.
   */
  private onFramingError(e: Error): void {
    this.emit('error', e);
    if (this.headerTimer) {
      clearTimeout(this.headerTimer);
      this.headerTimer = undefined;
    }
    this.socket.pause();
    this.lingerTimer = setTimeout(() => this.close(), this.timeouts.lingerMs);
    this.lingerTimer.unref();
  }
}

export class WsConnection extends StreamConnection {
  private readonly pinger?: NodeJS.Timeout;
  /**
   * @param pingIntervalMs a browser whose network vanished never sends a FIN; an unanswered
   *   WebSocket ping within one interval ends the connection so its calls can be torn down.
   */
  constructor(
    transport: 'ws' | 'wss',
    private readonly ws: WebSocket,
    remote: TransportAddress,
    local: TransportAddress,
    pingIntervalMs = 30_000,
    idleTimeoutMs = 0,
  ) {
    super(transport, remote, local);
    if (pingIntervalMs > 0) {
      let answered = true;
      ws.on('pong', () => {
        answered = true;
      });
      this.pinger = setInterval(() => {
        if (!answered) {
          this.close();
          return;
        }
        answered = false;
        try {
          ws.ping();
        } catch {
          this.close();
        }
      }, pingIntervalMs);
      this.pinger.unref();
    }
    ws.on('message', (data: RawData) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      this.touch();
      this.emit('message', buf);
    });
    this.watchIdle(idleTimeoutMs);
    ws.on('error', (e) => this.emit('error', e));
    ws.on('close', () => this.markClosed());
  }
  protected override markClosed(): void {
    if (this.pinger) clearInterval(this.pinger);
    super.markClosed();
  }
  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.ws.readyState !== this.ws.OPEN) {
        reject(new Error(`connection ${this.id} is closed`));
        return;
      }
      this.touch();
      // browsers' SIP stacks expect text frames; a non-UTF-8 body has to go binary
      const payload = isUtf8(data) ? data.toString('utf8') : data;
      this.ws.send(payload, (err) => (err ? reject(err) : resolve()));
    });
  }
  close(): void {
    this.ws.terminate();
    this.markClosed();
  }
}
