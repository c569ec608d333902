/**
 * Cuts a TCP/TLS byte stream into SIP messages by Content-Length (RFC 3261 §18.3). A CRLFCRLF
 * between messages is a keep-alive ping (RFC 5626 §3.5.1) the owner answers with CRLF.
 * After an 'error' the stream cannot be resynchronised and the framer ignores further input.
 */

import { EventEmitter } from 'node:events';

const CRLF2 = Buffer.from('\r\n\r\n');

export class StreamFramer extends EventEmitter<{ message: [Buffer]; keepalive: []; error: [Error] }> {
  // A growable buffer (capacity doubles) and a remembered scan position keep a peer that
  // dribbles one byte at a time linear in cost instead of quadratic.
  private store: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Offset (into the pending data) up to which no CRLFCRLF was found. */
  private scanned = 0;
  /** Size of the message being received once its header block is complete. */
  private pendingTotal: number | undefined;
  private failed = false;

  constructor(private readonly maxSize: number) {
    super();
  }

  /** Bytes of an incomplete message held (0 between messages). */
  get pending(): number {
    return this.end - this.start;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    this.append(chunk);
    while (!this.failed && this.end > this.start) {
      if (!this.next()) break;
    }
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      this.scanned = 0;
    }
  }

  private append(chunk: Buffer): void {
    const pending = this.end - this.start;
    if (this.end + chunk.length > this.store.length) {
      const need = pending + chunk.length;
      if (need <= this.store.length) {
        this.store.copy(this.store, 0, this.start, this.end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(need, this.store.length * 2, 4096));
        this.store.copy(grown, 0, this.start, this.end);
        this.store = grown;
      }
      this.start = 0;
      this.end = pending;
    }
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
  }

  private consume(n: number): void {
    this.start += n;
    this.scanned = 0;
    this.pendingTotal = undefined;
  }

  /** Consumes one unit (keep-alive, stray CRLF or message); false when more bytes are needed. */
  private next(): boolean {
    const b = this.store.subarray(this.start, this.end);
    if (b[0] === 0x0d || b[0] === 0x0a) {
      if (b.length >= 4 && b[0] === 0x0d && b[1] === 0x0a && b[2] === 0x0d && b[3] === 0x0a) {
        this.consume(4);
        this.emit('keepalive');
        return true;
      }
      if (b.length >= 2 && b[0] === 0x0d && b[1] === 0x0a) {
        // a lone CRLF is a pong or padding, unless it may be the first half of a ping
        if (b.length < 4 && (b.length === 2 || b[2] === 0x0d)) return false;
        this.consume(2);
        return true;
      }
      if (b.length < 2 && b[0] === 0x0d) return false;
      this.consume(1);
      return true;
    }
    let total = this.pendingTotal;
    if (total === undefined) {
      const end = b.indexOf(CRLF2, Math.max(0, this.scanned - 3));
      if (end < 0) {
        this.scanned = b.length;
        if (b.length > this.maxSize) this.fail(`header block exceeds ${this.maxSize} bytes`);
        return false;
      }
      const cl = contentLength(b.toString('latin1', 0, end));
      if (typeof cl === 'string') {
        this.fail(cl);
        return false;
      }
      total = end + 4 + cl;
      if (total > this.maxSize) {
        this.fail(`message of ${total} bytes exceeds ${this.maxSize}`);
        return false;
      }
      this.pendingTotal = total;
    }
    if (b.length < total) return false;
    const message = Buffer.from(b.subarray(0, total));
    this.consume(total);
    this.emit('message', message);
    return true;
  }

  private fail(reason: string): void {
    this.failed = true;
    this.store = Buffer.alloc(0);
    this.start = 0;
    this.end = 0;
    this.emit('error', new Error(reason));
  }
}

/** Content-Length of a header block, or a reason string when absent or malformed. */
function contentLength(head: string): number | string {
  let found: number | undefined;
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== 'content-length' && name !== 'l') continue;
    const v = line.slice(colon + 1).trim();
    if (!/^\d{1,10}$/.test(v)) return 'malformed Content-Length on a stream transport';
    if (found !== undefined && found !== Number(v)) return 'conflicting Content-Length on a stream transport';
    found = Number(v);
  }
  return found ?? 'missing Content-Length on a stream transport';
}
