/**
 * `<length>#<payload>` framing of the admin connection (docs/drachtio-protocol.md §1). The length counts bytes,
 * so frames are cut on the Buffer, never on decoded strings.
 */
import { EventEmitter } from 'node:events';

export class FramingError extends Error {}

/** Longest length prefix we accept; a frame longer than this is treated as garbage. */
const MAX_FRAME = 16 * 1024 * 1024;

export function encodeFrame(payload: string): Buffer {
  // one allocation and one encode per frame (every SIP message crosses here once)
  const len = Buffer.byteLength(payload, 'utf8');
  const prefix = `${len}#`;
  const out = Buffer.allocUnsafe(prefix.length + len);
  out.write(prefix, 0, 'latin1');
  out.write(payload, prefix.length, 'utf8');
  return out;
}

export class FrameDecoder extends EventEmitter<{ frame: [string]; error: [FramingError] }> {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const hash = this.buf.indexOf(0x23);
      if (hash < 0) {
        if (this.buf.length > 10 || !/^\d*$/.test(this.buf.toString('latin1'))) this.fail('bad length prefix');
        return;
      }
      const prefix = this.buf.subarray(0, hash).toString('latin1');
      if (!/^[1-9]\d{0,8}$/.test(prefix)) return this.fail('bad length prefix');
      const len = Number(prefix);
      if (len > MAX_FRAME) return this.fail('frame too long');
      if (this.buf.length < hash + 1 + len) return;
      const payload = this.buf.subarray(hash + 1, hash + 1 + len).toString('utf8');
      this.buf = this.buf.subarray(hash + 1 + len);
      this.emit('frame', payload);
      if (this.failed) return;
    }
  }

  private fail(reason: string): void {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    this.emit('error', new FramingError(reason));
  }
}
