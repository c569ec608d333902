/**
 * Opus through @discordjs/opus (libopus). The RTP clock of Opus is always 48 kHz, but libopus
 * may run at 8 kHz when the other leg is narrowband: it saves the resampler and half the encode
 * cost, and any Opus decoder plays the result.
 */
import { createRequire } from 'node:module';
import type { AudioDecoder, AudioEncoder } from './index.js';

interface NativeOpus {
  encode(buf: Buffer): Buffer;
  decode(buf: Buffer): Buffer;
  applyEncoderCTL(ctl: number, value: number): void;
  applyDecoderCTL(ctl: number, value: number): void;
  setBitrate(bitrate: number): void;
}
type NativeOpusCtor = new (rate: number, channels: number) => NativeOpus;

const require = createRequire(import.meta.url);
const { OpusEncoder: NativeOpusEncoder } = require('@discordjs/opus') as { OpusEncoder: NativeOpusCtor };

// libopus request numbers (opus_defines.h).
const OPUS_SET_APPLICATION = 4000;
const OPUS_APPLICATION_VOIP = 2048;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_INBAND_FEC = 4012;
const OPUS_SET_PACKET_LOSS_PERC = 4014;

const EMPTY = new Int16Array(0);
const OPUS_RATES = new Set([8000, 12000, 16000, 24000, 48000]);
/** Frame durations libopus encodes (ms). */
const OPUS_FRAME_MS = [2.5, 5, 10, 20, 40, 60];

function checkRate(rate: number): void {
  if (!OPUS_RATES.has(rate)) throw new RangeError(`libopus cannot run at ${rate} Hz`);
}

/**
 * The binding hands back a fresh buffer of native-endian samples per call: when it is aligned,
 * a view on it is the frame (no copy per packet); otherwise a copy.
 */
function toInt16(buf: Buffer, samples: number): Int16Array {
  const n = Math.min(samples, buf.length >> 1);
  if (buf.byteOffset % 2 === 0) return new Int16Array(buf.buffer, buf.byteOffset, n);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}

export interface OpusOptions {
  pcmRate: number;
  complexity?: number;
  /** Bits per second; default 20 kbps narrowband, 32 kbps wideband and up. */
  bitrate?: number;
  /**
   * In-band FEC (SILK's LBRR: a second, coarser encode of each frame carried in the next packet)
   * for a receiver that says it uses it. It costs about a quarter of the encode's CPU.
   */
  inbandFec?: boolean;
  /** Expected loss, percent: how many bits the encoder spends on that FEC. */
  packetLossPercent?: number;
}

export class OpusAudioEncoder implements AudioEncoder {
  readonly pcmRate: number;
  private native: NativeOpus | undefined;
  private readonly inbandFec: boolean;
  private packetLoss: number;

  constructor(opts: OpusOptions) {
    checkRate(opts.pcmRate);
    this.pcmRate = opts.pcmRate;
    const native = new NativeOpusEncoder(opts.pcmRate, 1);
    native.applyEncoderCTL(OPUS_SET_APPLICATION, OPUS_APPLICATION_VOIP);
    native.applyEncoderCTL(OPUS_SET_COMPLEXITY, opts.complexity ?? 5);
    this.inbandFec = opts.inbandFec === true;
    this.packetLoss = opts.packetLossPercent ?? 5;
    if (this.inbandFec) {
      native.applyEncoderCTL(OPUS_SET_INBAND_FEC, 1);
      native.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC, this.packetLoss);
    }
    // Narrowband SILK at its automatic ~12 kbps smears tones (and DTMF); 20 kbps keeps them clean.
    native.setBitrate(opts.bitrate ?? (opts.pcmRate <= 12000 ? 20000 : 32000));
    this.native = native;
  }

  encode(pcm: Int16Array): Buffer {
    if (!this.native) throw new Error('Opus encoder is closed');
    let input = pcm;
    if (!OPUS_FRAME_MS.some((ms) => pcm.length * 1000 === this.pcmRate * ms)) {
      // libopus only takes its own frame sizes: pad or cut anything else to 20 ms.
      const frame = this.pcmRate / 50;
      input = new Int16Array(frame);
      input.set(pcm.subarray(0, frame));
    }
    return this.native.encode(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  }

  /** libopus encodes FEC only while this is above zero (SILK's LBRR). */
  setPacketLoss(percent: number): void {
    const p = Math.max(0, Math.min(100, Math.round(percent)));
    if (!this.native || !this.inbandFec || p === this.packetLoss) return;
    this.packetLoss = p;
    this.native.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC, p);
  }

  close(): void {
    this.native = undefined;
  }
}

export class OpusAudioDecoder implements AudioDecoder {
  readonly pcmRate: number;
  private native: NativeOpus | undefined;
  private readonly frameSamples: number;
  /** Concealment already synthesised but not yet played. */
  private plc: Int16Array = EMPTY;

  constructor(opts: { pcmRate: number }) {
    checkRate(opts.pcmRate);
    this.pcmRate = opts.pcmRate;
    this.frameSamples = opts.pcmRate / 50;
    this.native = new NativeOpusEncoder(opts.pcmRate, 1);
  }

  decode(payload: Buffer): Int16Array {
    if (!this.native) throw new Error('Opus decoder is closed');
    this.plc = EMPTY;
    try {
      const pcm = this.native.decode(payload);
      return toInt16(pcm, pcm.length >> 1);
    } catch {
      // A corrupt packet counts as lost: conceal rather than throw into the media loop.
      return this.conceal();
    }
  }

  /**
   * Opus packet loss concealment. Given an empty packet the binding asks libopus for its largest
   * frame size, so one call synthesises 120 ms of concealment; it is served 20 ms at a time to
   * consecutive losses, so a burst gets the decoder's natural continuation and fade.
   */
  conceal(): Int16Array {
    if (!this.native) throw new Error('Opus decoder is closed');
    if (this.plc.length < this.frameSamples) {
      try {
        const pcm = this.native.decode(Buffer.alloc(0));
        this.plc = toInt16(pcm, pcm.length >> 1);
      } catch {
        this.plc = new Int16Array(0);
      }
    }
    const out = new Int16Array(this.frameSamples);
    out.set(this.plc.subarray(0, this.frameSamples));
    this.plc = this.plc.subarray(Math.min(this.frameSamples, this.plc.length));
    return out;
  }

  close(): void {
    this.native = undefined;
  }
}
