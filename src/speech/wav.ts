/** In-memory WAV/PCM decoding for synthesized speech (16-bit mono is what TTS engines return). */
import { TtsError } from './tts.js';

export interface DecodedPcm {
  samples: Int16Array;
  sampleRate: number;
}

/** Reads a RIFF/WAVE buffer of 16-bit PCM; multi-channel audio is mixed down to mono. */
export function decodeWav(buf: Uint8Array): DecodedPcm {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (o: number) => String.fromCharCode(buf[o], buf[o + 1], buf[o + 2], buf[o + 3]);
  if (buf.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new TtsError('engine', 'not a RIFF/WAVE file');
  let format = 0;
  let channels = 0;
  let sampleRate = 0;
  let bits = 0;
  let dataStart = -1;
  let dataEnd = -1;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = tag(off);
    let size = view.getUint32(off + 4, true);
    const body = off + 8;
    // Streaming writers leave 0 or 0xFFFFFFFF in the data size: the data runs to the end.
    if (body + size > buf.length || (id === 'data' && size === 0)) size = buf.length - body;
    if (id === 'fmt ' && size >= 16) {
      format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
      if (format === 0xfffe && size >= 26) format = view.getUint16(body + 24, true);
    } else if (id === 'data') {
      dataStart = body;
      dataEnd = body + size;
    }
    off = body + size + (size & 1);
  }
  if (dataStart < 0 || !format) throw new TtsError('engine', 'WAV without fmt or data chunk');
  if (format !== 1 || bits !== 16) throw new TtsError('engine', `unsupported WAV encoding (format ${format}, ${bits} bits)`);
  if (channels < 1 || sampleRate < 1000 || sampleRate > 192000)
    throw new TtsError('engine', `invalid WAV format (${channels} channels, ${sampleRate} Hz)`);
  const frames = Math.floor((dataEnd - dataStart) / (2 * channels));
  const samples = new Int16Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += view.getInt16(dataStart + (f * channels + c) * 2, true);
    samples[f] = Math.round(sum / channels);
  }
  return { samples, sampleRate };
}

/** Raw little-endian 16-bit mono PCM (OpenAI's `pcm` format). */
export function decodePcm16(buf: Uint8Array, sampleRate: number): DecodedPcm {
  const frames = Math.floor(buf.length / 2);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const samples = new Int16Array(frames);
  for (let i = 0; i < frames; i++) samples[i] = view.getInt16(i * 2, true);
  return { samples, sampleRate };
}

/** A 16-bit mono WAV file. */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const out = Buffer.alloc(44 + samples.length * 2);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + samples.length * 2, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(samples.length * 2, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], 44 + i * 2);
  return out;
}
