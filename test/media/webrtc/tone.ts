/** Test tones: WAV files for Chromium's fake microphone, 20 ms frames for sendAudio, spectrum peaks. */
import { writeFileSync } from 'node:fs';

export function toneSamples(freq: number, rate: number, count: number, offset = 0, amplitude = 12000): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * (offset + i)) / rate));
  return out;
}

/** Mono 16-bit PCM WAV. */
export function writeToneWav(path: string, freq: number, seconds: number, rate = 48000): void {
  const samples = toneSamples(freq, rate, Math.round(seconds * rate));
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([h, data]));
}

/** Generates consecutive 20 ms frames of one tone. */
export class ToneSource {
  private n = 0;
  constructor(
    private readonly freq: number,
    private readonly rate: number,
  ) {}
  next(): Int16Array {
    const len = this.rate / 50;
    const f = toneSamples(this.freq, this.rate, len, this.n);
    this.n += len;
    return f;
  }
}

/** Frequency (Hz, 10 Hz resolution) with the most energy between lo and hi. */
export function peakFrequency(samples: Int16Array, rate: number, lo = 100, hi = 4000): { freq: number; ratio: number } {
  const n = Math.min(samples.length, 8192);
  const x = samples.subarray(samples.length - n);
  let best = 0;
  let bestPower = 0;
  let total = 0;
  for (let f = lo; f <= hi; f += 10) {
    const w = (2 * Math.PI * f) / rate;
    let re = 0;
    let im = 0;
    for (let i = 0; i < n; i++) {
      re += x[i]! * Math.cos(w * i);
      im += x[i]! * Math.sin(w * i);
    }
    const p = re * re + im * im;
    total += p;
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return { freq: best, ratio: total > 0 ? bestPower / total : 0 };
}

export function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((a, f) => a + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}
