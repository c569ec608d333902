/**
 * Records ports into one WAV file, one channel per port (ports[0] left = caller, ports[1]
 * right = callee). Each port's decoded audio is resampled to the file's rate and queued; a
 * 20 ms clock takes one frame per channel, or silence when a port has nothing, so the
 * channels stay aligned with each other and with wall time. The file is flushed about once
 * a second, so a crash loses at most that.
 */
import { EventEmitter } from 'node:events';
import type { AudioFrame, MediaPort } from './types.js';
import { PcmQueue } from './pcm-queue.js';
import { FrameClock } from './frame-clock.js';
import { WavWriter } from './wav.js';
import { SilenceDetector } from './silence-detector.js';

export interface RecorderEvents {
  closed: [{ path: string; durationMs: number }];
  /** Every port was quiet for `silenceMs` (once per recording; only with that option). */
  silence: [{ atMs: number }];
}

export interface RecorderOptions {
  sampleRate: number;
  /** Emit `silence` after this much quiet audio on every port (RECORD's `timeout`). */
  silenceMs?: number;
}

const FLUSH_EVERY_TICKS = 50;
/** Audio queued beyond this is dropped oldest-first: a port faster than the clock must not grow latency. */
const MAX_QUEUED_FRAMES = 5;

class RecorderChannel {
  readonly queue: PcmQueue;
  readonly onAudio = (frame: AudioFrame): void => this.push(frame);
  readonly onClosed: () => void;

  constructor(
    readonly port: MediaPort,
    rate: number,
    onClosed: (ch: RecorderChannel) => void,
  ) {
    this.queue = new PcmQueue(rate, MAX_QUEUED_FRAMES);
    this.onClosed = () => onClosed(this);
  }

  push(frame: AudioFrame): void {
    this.queue.push(frame);
  }

  /** One frame, padded with silence if the port fell behind. */
  take(n: number): Int16Array {
    return this.queue.take(n);
  }
}

export class Recorder extends EventEmitter<RecorderEvents> {
  readonly path: string;
  private readonly writer: WavWriter;
  private readonly channels: RecorderChannel[];
  private readonly clock = new FrameClock();
  private readonly frame: number;
  private readonly silence: SilenceDetector | undefined;
  private ticks = 0;
  private stopped = false;

  constructor(path: string, ports: MediaPort[], opts: RecorderOptions) {
    super();
    if (ports.length === 0) throw new RangeError('Recorder needs at least one port');
    if (!(opts.sampleRate > 0) || opts.sampleRate % 50 !== 0) throw new RangeError(`invalid sample rate ${opts.sampleRate}`);
    this.path = path;
    this.frame = opts.sampleRate / 50;
    this.writer = new WavWriter(path, { sampleRate: opts.sampleRate, channels: ports.length });
    this.channels = ports.map((p) => new RecorderChannel(p, opts.sampleRate, (ch) => this.portClosed(ch)));
    this.silence = opts.silenceMs ? new SilenceDetector({ silenceMs: opts.silenceMs }) : undefined;
    for (const ch of this.channels) {
      ch.port.on('audio', ch.onAudio);
      ch.port.once('closed', ch.onClosed);
    }
    this.clock.start(() => this.tick());
    // Ports that were already closed will never say so again: end once the caller can listen.
    if (ports.every((p) => p.closed)) setImmediate(() => this.stop());
  }

  get durationMs(): number {
    return this.writer.durationMs;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.stop();
    for (const ch of this.channels) {
      ch.port.off('audio', ch.onAudio);
      ch.port.off('closed', ch.onClosed);
    }
    // Whatever is still queued was heard before the stop: keep it.
    const rest = Math.max(...this.channels.map((c) => c.queue.length));
    if (rest > 0) this.writeFrame(rest);
    let durationMs = this.writer.durationMs;
    try {
      this.writer.close();
    } catch {
      durationMs = 0;
    }
    this.emit('closed', { path: this.path, durationMs: Math.round(durationMs) });
  }

  private tick(): void {
    try {
      const frames = this.writeFrame(this.frame);
      // Quiet on every port: the mix of the channels' frames is what a listener would hear.
      if (this.silence?.feed(mix(frames), 20)) this.emit('silence', { atMs: Math.round(this.writer.durationMs) });
      if (++this.ticks % FLUSH_EVERY_TICKS === 0) this.writer.flush();
    } catch {
      // Disk full or the file vanished: end the recording rather than throw from a timer.
      this.stop();
    }
  }

  private writeFrame(n: number): Int16Array[] {
    const k = this.channels.length;
    const frames = this.channels.map((c) => c.take(n));
    const out = new Int16Array(n * k);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = frames[c][i];
    this.writer.write(out);
    return frames;
  }

  private portClosed(ch: RecorderChannel): void {
    ch.port.off('audio', ch.onAudio);
    if (this.channels.every((c) => c.port.closed || c === ch)) this.stop();
  }
}

function mix(frames: Int16Array[]): Int16Array {
  if (frames.length === 1) return frames[0]!;
  const out = new Int16Array(frames[0]!.length);
  for (const f of frames) for (let i = 0; i < out.length; i++) out[i] = Math.max(-32768, Math.min(32767, out[i]! + f[i]!));
  return out;
}
