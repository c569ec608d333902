/** Codec factory: one encoder/decoder object per leg direction, chosen by the negotiated CodecSpec. */
import type { CodecSpec } from '../types.js';
import { G711Decoder, G711Encoder } from './g711-coders.js';
import { OpusAudioDecoder, OpusAudioEncoder } from './opus.js';

export interface AudioEncoder {
  readonly pcmRate: number;
  /** 20 ms at pcmRate in, one RTP payload out. */
  encode(pcm: Int16Array): Buffer;
  close(): void;
}

export interface AudioDecoder {
  readonly pcmRate: number;
  decode(payload: Buffer): Int16Array;
  /** Loss concealment for one missing 20 ms frame: Opus PLC, or for G.711 a fade of the last frame. */
  conceal(): Int16Array;
  /** Opus in-band FEC: recover the lost frame before `next`. */
  recover?(next: Buffer): Int16Array;
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
    case 'opus':
      return new OpusAudioEncoder({ pcmRate: opusRate(opts) });
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
