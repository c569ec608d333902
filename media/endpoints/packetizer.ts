/**
 * Cuts the media plane's 20 ms frames into packets of the length the peer asked for with
 * `a=ptime` (RFC 4566): any multiple of 10 ms up to 60 for G.711, and the frame sizes libopus can
 * encode (10, 20, 40, 60 ms) for Opus. Anything else, or no ptime at all, stays at 20 ms.
 */
import type { CodecSpec } from '../types.js';

const EMPTY = new Int16Array(0);

/** The packet time we send to a peer whose SDP said `ptime` (undefined: none given). */
export function sendPtime(codec: CodecSpec, ptime: number | undefined): number {
  if (ptime === undefined || !Number.isInteger(ptime)) return 20;
  if (codec.name === 'opus') return [10, 20, 40, 60].includes(ptime) ? ptime : 20;
  return ptime >= 10 && ptime <= 60 && ptime % 10 === 0 ? ptime : 20;
}

export class Packetizer {
  private pending: Int16Array = EMPTY;

  constructor(readonly samplesPerPacket: number) {}

  /** Adds audio; calls `emit` once for every whole packet's worth now available. */
  push(samples: Int16Array, emit: (packet: Int16Array) => void): void {
    const n = this.samplesPerPacket;
    if (this.pending.length === 0 && samples.length === n) return emit(samples);
    let input = samples;
    if (this.pending.length > 0) {
      input = new Int16Array(this.pending.length + samples.length);
      input.set(this.pending);
      input.set(samples, this.pending.length);
    }
    let off = 0;
    for (; off + n <= input.length; off += n) emit(input.subarray(off, off + n));
    this.pending = off < input.length ? input.slice(off) : EMPTY;
  }

  reset(): void {
    this.pending = EMPTY;
  }
}
