/**
 * One inbound audio stream from packets to 20 ms PCM frames, shared by the RTP and WebRTC
 * endpoints: the jitter buffer puts packets in order (holding back only across a gap), the missing
 * ones are concealed in their slot (Opus PLC, G.711 fade), and packet times that are not a multiple of 20 ms are carried
 * over into whole frames.
 */
import type { Logger } from 'pino';
import type { CodecSpec, RtpPacketInfo } from '../types.js';
import { createDecoder, type AudioDecoder } from '../codecs/index.js';
import { JitterBuffer, type PlayoutItem } from '../jitter-buffer.js';

/** Gaps up to this many packets are concealed; a bigger one is a new talk spurt, played as is. */
const MAX_CONCEALED = 5;
const EMPTY = new Int16Array(0);

export interface InboundAudioOptions {
  /** Longest a packet waits behind a gap for a reordered one (0: never). */
  maxDelayMs: number;
  /** The codec and PCM rate in force when a packet is played. */
  format: () => { codec: CodecSpec; pcmRate: number } | undefined;
  onFrame: (frame: Int16Array, pcmRate: number) => void;
  /** Time and timers; tests drive a virtual clock through this. */
  clock?: PlayoutClock;
}

export interface PlayoutClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: PlayoutClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class InboundAudio {
  private readonly jitter: JitterBuffer;
  private decoder: AudioDecoder | undefined;
  /** What the decoder was made for: another codec or PCM rate gets a new one. */
  private decoderCodec: CodecSpec | undefined;
  private decoderRate = 0;
  private carry: Int16Array = EMPTY;
  private readonly clock: PlayoutClock;
  private timer: unknown;
  private timerAt = Infinity;

  constructor(
    private readonly log: Logger,
    private readonly opts: InboundAudioOptions,
  ) {
    this.jitter = new JitterBuffer({ clockRate: 8000, maxDelayMs: opts.maxDelayMs });
    this.clock = opts.clock ?? REAL_CLOCK;
  }

  get stats(): JitterBuffer['stats'] {
    return this.jitter.stats;
  }

  /** An audio packet arrived. */
  push(packet: RtpPacketInfo, nowMs = this.clock.now()): void {
    const format = this.opts.format();
    if (format) this.jitter.setClockRate(format.codec.clockRate);
    this.play(this.jitter.push(packet, nowMs), format);
  }

  /** A packet of another payload (RFC 4733 event) used this sequence number. */
  skip(sequenceNumber: number, ssrc: number, nowMs = this.clock.now()): void {
    this.play(this.jitter.skip(sequenceNumber, ssrc, nowMs));
  }

  /** Drops everything held and the codec state (new source, new codec, new PCM rate, close). */
  reset(): void {
    this.jitter.reset();
    this.dropDecoder();
    this.disarm();
  }

  /** Decodes what the buffer released, asking for the format once per batch (not per packet). */
  private play(items: PlayoutItem[], format = items.length > 0 ? this.opts.format() : undefined): void {
    if (format) for (const item of items) this.decode(item, format);
    this.arm();
  }

  private decode(item: PlayoutItem, { codec, pcmRate }: { codec: CodecSpec; pcmRate: number }): void {
    const same =
      this.decoderCodec !== undefined &&
      codec.name === this.decoderCodec.name &&
      codec.payloadType === this.decoderCodec.payloadType &&
      pcmRate === this.decoderRate;
    if (item.restart || !same) this.dropDecoder();
    this.decoderCodec = codec;
    this.decoderRate = pcmRate;
    const decoder = (this.decoder ??= createDecoder(codec, { pcmRate }));
    try {
      if (item.lost > 0 && item.lost <= MAX_CONCEALED) {
        for (let i = 0; i < item.lost; i++) this.deliver(decoder.conceal(), pcmRate);
      }
      this.deliver(decoder.decode(item.packet.payload), pcmRate);
    } catch (err) {
      this.log.debug({ err }, 'undecodable RTP payload');
    }
  }

  private deliver(samples: Int16Array, pcmRate: number): void {
    const frame = pcmRate / 50;
    let input = samples;
    if (this.carry.length > 0) {
      input = new Int16Array(this.carry.length + samples.length);
      input.set(this.carry);
      input.set(samples, this.carry.length);
      this.carry = EMPTY;
    }
    let off = 0;
    for (; off + frame <= input.length; off += frame)
      this.opts.onFrame(input.length === frame ? input : input.subarray(off, off + frame), pcmRate);
    if (off < input.length) this.carry = input.slice(off);
  }

  /** One timer, only while packets wait behind a gap. */
  private arm(): void {
    const deadline = this.jitter.deadline;
    if (deadline === undefined) return this.disarm();
    if (this.timer !== undefined && this.timerAt <= deadline) return;
    this.disarm();
    this.timerAt = deadline;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.play(this.jitter.release(this.clock.now()));
      },
      Math.max(0, deadline - this.clock.now()),
    );
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private dropDecoder(): void {
    this.decoder?.close();
    this.decoder = undefined;
    this.decoderCodec = undefined;
    this.carry = EMPTY;
  }
}
