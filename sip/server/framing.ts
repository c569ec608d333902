/**
 * Cuts a TCP/TLS byte stream into SIP messages by Content-Length (RFC 3261 §18.3). A CRLFCRLF
 * between messages is a keep-alive ping (RFC 5626 §3.5.1) the owner answers with CRLF.
 * After an 'error' the stream cannot be resynchronised and the framer ignores further input.
 */

import { EventEmitter } from 'node:events';

const CRLF2 = Buffer.from('\r\n\r\n');

export class StreamFramer extends EventEmitter<{ message: [Buffer]; keepalive: []; error: [Error] }> {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly maxSize: number) { super(); }

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (!this.failed && this.buf.length > 0) {
      if (!this.next()) break;
    }
  }

  /** Consumes one unit (keep-alive, stray CRLF or message); false when more bytes are needed. */
  private next(): boolean {
    const b = this.buf;
    if (b[0] === 0x0d || b[0] === 0x0a) {
      if (b.length >= 4 && b[0] === 0x0d && b[1] === 0x0a && b[2] === 0x0d && b[3] === 0x0a) {
        this.buf = b.subarray(4);
        this.emit('keepalive');
        return true;
      }
      if (b.length >= 2 && b[0] === 0x0d && b[1] === 0x0a) {
        // a lone CRLF is a pong or padding, unless it may be the first half of a ping
        if (b.length < 4 && (b.length === 2 || b[2] === 0x0d)) return false;
        this.buf = b.subarray(2);
        return true;
      }
      if (b[0] === 0x0a) { this.buf = b.subarray(1); return true; }
      if (b.length < 2) return false;
      this.buf = b.subarray(1);
      return true;
    }
    const end = b.indexOf(CRLF2);
    if (end < 0) {
      if (b.length > this.maxSize) this.fail(`header block exceeds ${this.maxSize} bytes`);
      return false;
    }
    const cl = contentLength(b.toString('latin1', 0, end));
    if (typeof cl === 'string') { this.fail(cl); return false; }
    const total = end + 4 + cl;
    if (total > this.maxSize) { this.fail(`message of ${total} bytes exceeds ${this.maxSize}`); return false; }
    if (b.length < total) return false;
    const message = Buffer.from(b.subarray(0, total));
    this.buf = b.subarray(total);
    this.emit('message', message);
    return true;
  }

  private fail(reason: string): void {
    this.failed = true;
    this.buf = Buffer.alloc(0);
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
