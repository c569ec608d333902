/**
 * Decoding of one inbound RTP stream into 20 ms frames: loss concealment for sequence gaps
 * (Opus FEC for the frame right before a packet, PLC or G.711 fade otherwise), and a carry for
 * packet times that are not a multiple of 20 ms.
 */
import type { Logger } from 'pino';
import type { CodecSpec } from '../types.js';
import { createDecoder, type AudioDecoder } from '../codecs/index.js';

/** Sequence gaps up to this many packets are concealed; bigger ones are a new talk spurt. */
const MAX_CONCEALED = 5;
const EMPTY = new Int16Array(0);

export class InboundAudio {
  private decoder: AudioDecoder | undefined;
  private carry: Int16Array = EMPTY;

  constructor(private readonly log: Logger) {}

  /** Drops codec state (new source, new codec, new PCM rate). */
  reset(): void {
    this.decoder?.close();
    this.decoder = undefined;
    this.carry = EMPTY;
  }

  decode(codec: CodecSpec, pcmRate: number, payload: Buffer, lost: number, onFrame: (f: Int16Array) => void): void {
    this.decoder ??= createDecoder(codec, { pcmRate });
    try {
      if (lost > 0 && lost <= MAX_CONCEALED) {
        for (let i = 0; i < lost - 1; i++) this.deliver(this.decoder.conceal(), pcmRate, onFrame);
        this.deliver(this.decoder.recover ? this.decoder.recover(payload) : this.decoder.conceal(), pcmRate, onFrame);
      }
      this.deliver(this.decoder.decode(payload), pcmRate, onFrame);
    } catch (err) {
      this.log.debug({ err }, 'undecodable RTP payload');
    }
  }

  private deliver(samples: Int16Array, pcmRate: number, onFrame: (f: Int16Array) => void): void {
    const frame = pcmRate / 50;
    let input = samples;
    if (this.carry.length > 0) {
      input = new Int16Array(this.carry.length + samples.length);
      input.set(this.carry);
      input.set(samples, this.carry.length);
      this.carry = EMPTY;
    }
    let off = 0;
    for (; off + frame <= input.length; off += frame) onFrame(input.length === frame ? input : input.subarray(off, off + frame));
    if (off < input.length) this.carry = input.slice(off);
  }
}
