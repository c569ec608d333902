/**
 * Plays a WAV file, a generated tone or a live PCM stream into a MediaPort on a 20 ms clock,
 * resampled to the port's PCM rate.
 */
import { EventEmitter } from 'node:events';
import type { MediaPort } from './types.js';
import { Resampler } from './codecs/resampler.js';
import { FrameClock } from './frame-clock.js';
import type { ToneName } from './tones.js';
import { FileSource, StreamSource, ToneSource, type PcmSource } from './player-sources.js';

export type PlaySource =
  | { file: string }
  | { tone: ToneName }
  | { stream: NodeJS.ReadableStream; sampleRate: number /* s16le mono */ };

export interface PlayerEvents {
  ended: [{ reason: 'finished' | 'stopped' }];
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
