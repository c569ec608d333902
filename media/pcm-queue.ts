import type { AudioFrame } from './types.js';
import { Resampler } from './codecs/resampler.js';

/**
 * Audio a port delivered, brought to one rate and held until a 20 ms clock takes it (mixer,
 * recorder). Bounded: a port that runs faster than the clock drops its oldest audio rather than
 * growing the delay.
 */
export class PcmQueue {
  private samples = new Int16Array(0);
  private resampler: Resampler | undefined;

  constructor(
    private readonly rate: number,
    private readonly maxFrames: number,
  ) {}

  get length(): number {
    return this.samples.length;
  }

  push(frame: AudioFrame): void {
    if (!this.resampler || this.resampler.fromRate !== frame.sampleRate) {
      this.resampler = new Resampler(frame.sampleRate, this.rate);
    }
    const pcm = this.resampler.process(frame.samples);
    const max = (this.rate / 50) * this.maxFrames;
    const keep = Math.min(this.samples.length, Math.max(0, max - pcm.length));
    const q = new Int16Array(keep + pcm.length);
    q.set(this.samples.subarray(this.samples.length - keep), 0);
    q.set(pcm, keep);
    this.samples = q;
  }

  /** The next `n` samples, padded with silence when the port fell behind. */
  take(n: number): Int16Array {
    const out = new Int16Array(n);
    out.set(this.samples.subarray(0, n));
    this.samples = this.samples.slice(Math.min(n, this.samples.length));
    return out;
  }
}
