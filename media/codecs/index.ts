/**
 * Codec factory: one encoder/decoder object per leg direction, chosen by the negotiated CodecSpec.
 * pcmRate: G.711 is always 8000; Opus defaults to 48000, or 8000 when the other leg is narrowband
 * (libopus runs at 8 kHz, the RTP clock stays 48 kHz). Opus encoders use complexity 5, VOIP
 * application, 32 kbps (20 kbps at 8 kHz) unless the fmtp caps it lower, and in-band FEC when the
 * receiver's fmtp asks for it.
 */
import type { CodecSpec } from '../types.js';
import { G711Decoder, G711Encoder } from './g711-coders.js';
import { OpusAudioDecoder, OpusAudioEncoder } from './opus.js';

export interface AudioEncoder {
  readonly pcmRate: number;
  /** 20 ms at pcmRate in, one RTP payload out. */
  encode(pcm: Int16Array): Buffer;
  /** The loss the far end reports (percent): how much an encoder with in-band FEC spends on it. */
  setPacketLoss?(percent: number): void;
  close(): void;
}

export interface AudioDecoder {
  readonly pcmRate: number;
  decode(payload: Buffer): Int16Array;
  /**
   * Loss concealment for one missing 20 ms frame: Opus PLC, or for G.711 a fade of the last frame.
   * (The binding, @discordjs/opus, always decodes with decode_fec=0, so the in-band FEC a remote
   * encoder may send is not used: a lost Opus frame is concealed, never recovered.)
   */
  conceal(): Int16Array;
  close(): void;
}

export { encodeAlaw, decodeAlaw, encodeMulaw, decodeMulaw } from './g711.js';
export { Resampler } from './resampler.js';

function opusRate(opts?: { pcmRate?: number }): number {
  return opts?.pcmRate ?? 48000;
}

export function createEncoder(spec: CodecSpec, opts?: { pcmRate?: number }): AudioEncoder {
  switch (spec.name) {
    case 'PCMU':
      return new G711Encoder('mulaw');
    case 'PCMA':
      return new G711Encoder('alaw');
    case 'opus': {
      // The receiver may cap our bitrate in its fmtp (RFC 7587 maxaveragebitrate).
      const cap = Number(spec.params?.maxaveragebitrate);
      const rate = opusRate(opts);
      const preferred = rate <= 12000 ? 20000 : 32000;
      const bitrate = Number.isFinite(cap) && cap >= 6000 ? Math.min(preferred, cap) : preferred;
      // RFC 7587 §6.1: useinbandfec=1 says the receiver's decoder uses in-band FEC; absent, it is 0,
      // and FEC would cost a quarter of every encode for bits the far end throws away.
      const inbandFec = String(spec.params?.useinbandfec ?? '0').trim() === '1';
      return new OpusAudioEncoder({ pcmRate: rate, bitrate, inbandFec });
    }
    default:
      throw new Error(`no audio encoder for ${spec.name}`);
  }
}

export function createDecoder(spec: CodecSpec, opts?: { pcmRate?: number }): AudioDecoder {
  switch (spec.name) {
    case 'PCMU':
      return new G711Decoder('mulaw');
    case 'PCMA':
      return new G711Decoder('alaw');
    case 'opus':
      return new OpusAudioDecoder({ pcmRate: opusRate(opts) });
    default:
      throw new Error(`no audio decoder for ${spec.name}`);
  }
}
