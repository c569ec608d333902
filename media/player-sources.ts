/**
 * Where a Player's audio comes from: a WAV file (read whole, downmixed to mono), a generated
 * tone, or a live s16le stream (buffered, with back-pressure). Each yields mono PCM at its own
 * rate in roughly 20 ms pieces; the Player resamples and paces it.
 */
import { ToneGenerator, type ToneName } from './tones.js';
import { readWav } from './wav.js';

/** Pull-based source of mono PCM at its own rate; undefined once exhausted, empty when starved. */
export interface PcmSource {
  readonly sampleRate: number;
  read(): Int16Array | undefined;
  rewind(): boolean;
  close(): void;
}

export class FileSource implements PcmSource {
  readonly sampleRate: number;
  private readonly pcm: Int16Array;
  private pos = 0;
  private readonly chunk: number;

  constructor(path: string) {
    const wav = readWav(path);
    this.sampleRate = wav.sampleRate;
    const frames = wav.samples[0].length;
    if (wav.channels === 1) {
      this.pcm = wav.samples[0];
    } else {
      this.pcm = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        let s = 0;
        for (const ch of wav.samples) s += ch[i];
        this.pcm[i] = Math.round(s / wav.channels);
      }
    }
    this.chunk = Math.max(1, Math.round(this.sampleRate / 50));
  }

  read(): Int16Array | undefined {
    if (this.pos >= this.pcm.length) return undefined;
    const out = this.pcm.subarray(this.pos, this.pos + this.chunk);
    this.pos += out.length;
    return out;
  }

  rewind(): boolean {
    this.pos = 0;
    return this.pcm.length > 0;
  }

  close(): void {}
}

export class ToneSource implements PcmSource {
  private gen: ToneGenerator;
  constructor(
    private readonly tone: ToneName,
    readonly sampleRate: number,
  ) {
    this.gen = new ToneGenerator(tone, sampleRate);
  }
  read(): Int16Array | undefined {
    return this.gen.next();
  }
  rewind(): boolean {
    this.gen = new ToneGenerator(this.tone, this.sampleRate);
    return true;
  }
  close(): void {}
}

/** Buffers a byte stream; pauses it when more than a few seconds are queued. */
export class StreamSource implements PcmSource {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private ended = false;
  private paused = false;
  private readonly frameBytes: number;
  private readonly highWater: number;
  private readonly onData = (d: Buffer | string): void => {
    const b = typeof d === 'string' ? Buffer.from(d, 'binary') : d;
    this.chunks.push(b);
    this.bytes += b.length;
    if (this.bytes > this.highWater && !this.paused) {
      this.paused = true;
      this.stream.pause();
    }
  };
  private readonly onEnd = (): void => {
    this.ended = true;
  };

  constructor(
    private readonly stream: NodeJS.ReadableStream,
    readonly sampleRate: number,
  ) {
    if (!(sampleRate > 0)) throw new RangeError(`invalid stream sample rate ${sampleRate}`);
    this.frameBytes = Math.max(2, Math.round(sampleRate / 50) * 2);
    this.highWater = this.frameBytes * 150;
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onEnd);
  }

  read(): Int16Array | undefined {
    if (this.bytes < this.frameBytes && !this.ended) return new Int16Array(0);
    if (this.bytes === 0) return undefined;
    const take = Math.min(this.frameBytes, this.bytes - (this.bytes % 2)) || 0;
    if (take === 0) return undefined;
    const all = Buffer.concat(this.chunks, this.bytes);
    const out = new Int16Array(take / 2);
    for (let i = 0; i < out.length; i++) out[i] = all.readInt16LE(i * 2);
    const rest = all.subarray(take);
    this.chunks = rest.length ? [rest] : [];
    this.bytes = rest.length;
    if (this.paused && this.bytes < this.highWater / 2) {
      this.paused = false;
      this.stream.resume();
    }
    return out;
  }

  rewind(): boolean {
    return false;
  }

  close(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onEnd);
    if (this.paused) this.stream.resume();
  }
}
