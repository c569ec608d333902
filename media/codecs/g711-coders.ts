/**
 * G.711 encoder and decoder objects. Loss concealment repeats the last good frame with a
 * falling gain (a simplified G.711 Appendix I): a short gap is bridged smoothly and a long
 * one fades to silence within 60 ms instead of buzzing.
 */
import type { AudioDecoder, AudioEncoder } from './index.js';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from './g711.js';

const FRAME = 160;
const FADE_FRAMES = 3;

export class G711Encoder implements AudioEncoder {
  readonly pcmRate = 8000;
  private readonly encodeFn: (pcm: Int16Array) => Buffer;

  constructor(law: 'mulaw' | 'alaw') {
    this.encodeFn = law === 'mulaw' ? encodeMulaw : encodeAlaw;
  }

  encode(pcm: Int16Array): Buffer {
    return this.encodeFn(pcm);
  }

  close(): void {}
}

export class G711Decoder implements AudioDecoder {
  readonly pcmRate = 8000;
  private readonly decodeFn: (b: Buffer) => Int16Array;
  private last: Int16Array = new Int16Array(FRAME);
  private concealed = 0;

  constructor(law: 'mulaw' | 'alaw') {
    this.decodeFn = law === 'mulaw' ? decodeMulaw : decodeAlaw;
  }

  decode(payload: Buffer): Int16Array {
    const pcm = this.decodeFn(payload);
    this.last = pcm;
    this.concealed = 0;
    return pcm;
  }

  conceal(): Int16Array {
    const n = this.last.length || FRAME;
    const out = new Int16Array(n);
    if (this.concealed >= FADE_FRAMES) return out;
    // Gain falls linearly across the frame from where the previous concealment left off.
    const start = 1 - this.concealed / FADE_FRAMES;
    const end = 1 - (this.concealed + 1) / FADE_FRAMES;
    for (let i = 0; i < n; i++) out[i] = Math.round(this.last[i] * (start + ((end - start) * i) / n));
    this.concealed++;
    return out;
  }

  close(): void {}
}
