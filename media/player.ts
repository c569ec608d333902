/**
 * Plays a WAV file, a generated tone or a live PCM stream into a MediaPort on a 20 ms clock,
 * resampled to the port's PCM rate.
 */
import { EventEmitter } from 'node:events';
import type { MediaPort } from './types.js';
import { Resampler } from './codecs/resampler.js';
import { FrameClock } from './frame-clock.js';
import { ToneGenerator, type ToneName } from './tones.js';
import { readWav } from './wav.js';

export type PlaySource =
  | { file: string }
  | { tone: ToneName }
  | { stream: NodeJS.ReadableStream; sampleRate: number /* s16le mono */ };

export interface PlayerEvents {
  ended: [{ reason: 'finished' | 'stopped' }];
}

/** Pull-based source of mono PCM at its own rate; undefined once exhausted, empty when starved. */
interface PcmSource {
  readonly sampleRate: number;
  read(): Int16Array | undefined;
  rewind(): boolean;
  close(): void;
}

class FileSource implements PcmSource {
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

class ToneSource implements PcmSource {
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
class StreamSource implements PcmSource {
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

export class Player extends EventEmitter<PlayerEvents> {
  private readonly port: MediaPort;
  private readonly source: PcmSource;
  private readonly loop: boolean;
  private readonly clock = new FrameClock();
  private resampler: Resampler | undefined;
  private queue = new Int16Array(0);
  private exhausted = false;
  private done = false;
  private readonly onPortClosed = (): void => this.finish('stopped');

  /** Throws if the file cannot be read or the tone is unknown. */
  constructor(port: MediaPort, source: PlaySource, opts?: { loop?: boolean }) {
    super();
    this.port = port;
    this.loop = opts?.loop ?? false;
    if ('file' in source) this.source = new FileSource(source.file);
    else if ('tone' in source) this.source = new ToneSource(source.tone, port.pcmRate);
    else this.source = new StreamSource(source.stream, source.sampleRate);
  }

  start(): void {
    if (this.done || this.clock.running) return;
    if (this.port.closed) {
      this.finish('stopped');
      return;
    }
    this.port.once('closed', this.onPortClosed);
    this.clock.start(() => this.tick());
  }

  stop(): void {
    this.finish('stopped');
  }

  private tick(): void {
    const rate = this.port.pcmRate;
    const frame = rate / 50;
    if (!this.resampler || this.resampler.toRate !== rate) this.resampler = new Resampler(this.source.sampleRate, rate);
    while (this.queue.length < frame && !this.exhausted) {
      let chunk = this.source.read();
      if (chunk === undefined && this.loop && this.source.rewind()) chunk = this.source.read();
      if (chunk === undefined) {
        this.exhausted = true;
        break;
      }
      if (chunk.length === 0) break; // a stream that is behind: wait for it
      this.append(this.resampler.process(chunk));
    }
    if (this.queue.length === 0) {
      if (this.exhausted) this.finish('finished');
      return;
    }
    if (this.queue.length < frame && !this.exhausted) return;
    const out = new Int16Array(frame);
    out.set(this.queue.subarray(0, frame));
    this.queue = this.queue.slice(Math.min(frame, this.queue.length));
    try {
      this.port.sendAudio({ samples: out, sampleRate: rate });
    } catch {
      this.finish('stopped');
      return;
    }
    if (this.exhausted && this.queue.length === 0) this.finish('finished');
  }

  private append(samples: Int16Array): void {
    const q = new Int16Array(this.queue.length + samples.length);
    q.set(this.queue, 0);
    q.set(samples, this.queue.length);
    this.queue = q;
  }

  private finish(reason: 'finished' | 'stopped'): void {
    if (this.done) return;
    this.done = true;
    this.clock.stop();
    this.port.off('closed', this.onPortClosed);
    this.source.close();
    this.emit('ended', { reason });
  }
}
