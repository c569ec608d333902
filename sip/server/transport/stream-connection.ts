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

export abstract class StreamConnection extends EventEmitter<ConnectionEvents> {
  readonly id: string;
  closed = false;
  constructor(readonly transport: StreamTransport, readonly remote: TransportAddress, readonly local: TransportAddress) {
    super();
    this.id = `${transport}-${++sequence}-${remote.host}:${remote.port}`;
  }
  abstract write(data: Buffer): Promise<void>;
  abstract close(): void;
  protected markClosed(): void {
    if (this.closed) return;
    this.closed = true;
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
  constructor(transport: 'tcp' | 'tls', private readonly socket: Socket, maxSize: number) {
    const { remote, local } = socketAddresses(transport, socket);
    super(transport, remote, local);
    this.framer = new StreamFramer(maxSize);
    this.framer.on('message', (m) => this.emit('message', m));
    this.framer.on('keepalive', () => { if (!socket.destroyed) socket.write('\r\n'); });
    this.framer.on('error', (e) => { this.emit('error', e); this.close(); });
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk));
    socket.on('error', (e) => this.emit('error', e));
    socket.on('close', () => this.markClosed());
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
  }
  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.socket.destroyed) { reject(new Error(`connection ${this.id} is closed`)); return; }
      this.socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }
  close(): void {
    this.socket.destroy();
    this.markClosed();
  }
}

export class WsConnection extends StreamConnection {
  private readonly pinger?: NodeJS.Timeout;
  /**
   * @param pingIntervalMs a browser whose network vanished never sends a FIN; an unanswered
   *   WebSocket ping within one interval ends the connection so its calls can be torn down.
   */
  constructor(transport: 'ws' | 'wss', private readonly ws: WebSocket, remote: TransportAddress, local: TransportAddress, pingIntervalMs = 30_000) {
    super(transport, remote, local);
    if (pingIntervalMs > 0) {
      let answered = true;
      ws.on('pong', () => { answered = true; });
      this.pinger = setInterval(() => {
        if (!answered) { this.close(); return; }
        answered = false;
        try { ws.ping(); } catch { this.close(); }
      }, pingIntervalMs);
      this.pinger.unref();
    }
    ws.on('message', (data: RawData) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      this.emit('message', buf);
    });
    ws.on('error', (e) => this.emit('error', e));
    ws.on('close', () => this.markClosed());
  }
  protected override markClosed(): void {
    if (this.pinger) clearInterval(this.pinger);
    super.markClosed();
  }
  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.ws.readyState !== this.ws.OPEN) { reject(new Error(`connection ${this.id} is closed`)); return; }
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
