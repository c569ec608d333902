/**
 * WAV files: a reader for the formats prompts and uploads come in, and a writer for
 * recordings that stays readable if the process dies mid-call.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { decodeAlaw, decodeMulaw } from './codecs/g711.js';

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** One array per channel. */
  samples: Int16Array[];
}

function clip16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
}

export function readWav(path: string): WavAudio {
  const file = readFileSync(path);
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF/WAVE file`);
  }
  let format = 0;
  let channels = 0;
  let sampleRate = 0;
  let bits = 0;
  let blockAlign = 0;
  let data: Buffer | undefined;
  let off = 12;
  while (off + 8 <= file.length) {
    const id = file.toString('ascii', off, off + 4);
    let size = file.readUInt32LE(off + 4);
    const body = off + 8;
    // A writer that crashed or streams may leave 0 or 0xFFFFFFFF: the data runs to the end.
    if (body + size > file.length || (id === 'data' && size === 0)) size = file.length - body;
    if (id === 'fmt ' && size >= 16) {
      format = file.readUInt16LE(body);
      channels = file.readUInt16LE(body + 2);
      sampleRate = file.readUInt32LE(body + 4);
      blockAlign = file.readUInt16LE(body + 12);
      bits = file.readUInt16LE(body + 14);
      if (format === FORMAT_EXTENSIBLE && size >= 26) format = file.readUInt16LE(body + 24);
    } else if (id === 'data') {
      data = file.subarray(body, body + size);
      if (format !== 0) break;
    }
    off = body + size + (size & 1);
  }
  if (!format || !data) throw new Error(`${path}: missing fmt or data chunk`);
  if (channels < 1 || sampleRate < 1) throw new Error(`${path}: invalid format (${channels} channels, ${sampleRate} Hz)`);
  const bytes = bits / 8;
  if (!blockAlign) blockAlign = bytes * channels;
  const frames = Math.floor(data.length / blockAlign);
  const samples = Array.from({ length: channels }, () => new Int16Array(frames));

  let read: (pos: number) => number;
  if (format === FORMAT_PCM && bits === 8) read = (p) => (data[p] - 128) << 8;
  else if (format === FORMAT_PCM && bits === 16) read = (p) => data.readInt16LE(p);
  else if (format === FORMAT_PCM && bits === 24) read = (p) => data.readIntLE(p, 3) >> 8;
  else if (format === FORMAT_PCM && bits === 32) read = (p) => data.readInt32LE(p) >> 16;
  else if (format === FORMAT_FLOAT && bits === 32) read = (p) => clip16(data.readFloatLE(p) * 32768);
  else if (format === FORMAT_FLOAT && bits === 64) read = (p) => clip16(data.readDoubleLE(p) * 32768);
  else if (format === FORMAT_MULAW && bits === 8) {
    const pcm = decodeMulaw(data);
    read = (p) => pcm[p];
  } else if (format === FORMAT_ALAW && bits === 8) {
    const pcm = decodeAlaw(data);
    read = (p) => pcm[p];
  } else throw new Error(`${path}: unsupported WAV encoding (format ${format}, ${bits} bits)`);

  for (let f = 0; f < frames; f++) {
    const base = f * blockAlign;
    for (let c = 0; c < channels; c++) samples[c][f] = read(base + c * bytes);
  }
  return { sampleRate, channels, samples };
}

const HEADER_BYTES = 44;
const LITTLE_ENDIAN = endianness() === 'LE';
const MAX_DATA_BYTES = 0xffffffff - HEADER_BYTES;

function header(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes), 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(FORMAT_PCM, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(Math.min(MAX_DATA_BYTES, dataBytes), 40);
  return h;
}

/**
 * 16-bit PCM WAV writer. Audio is buffered in memory; flush() appends it and rewrites the two
 * size fields, so the file on disk is always a complete, valid WAV of everything flushed.
 */
export class WavWriter {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: number;
  private fd: number | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private dataBytes = 0;

  constructor(path: string, opts: { sampleRate: number; channels: number }) {
    if (!(opts.sampleRate > 0) || !(opts.channels >= 1)) throw new RangeError('invalid WAV format');
    this.path = path;
    this.sampleRate = opts.sampleRate;
    this.channels = opts.channels;
    this.fd = openSync(path, 'w');
    writeSync(this.fd, header(this.sampleRate, this.channels, 0), 0, HEADER_BYTES, 0);
  }

  /** Bytes of audio written so far, flushed or not. */
  get bytesWritten(): number {
    return this.dataBytes + this.pendingBytes;
  }

  get durationMs(): number {
    return (this.bytesWritten / (2 * this.channels) / this.sampleRate) * 1000;
  }

  write(interleaved: Int16Array): void {
    if (this.fd === undefined) throw new Error('WavWriter is closed');
    let b: Buffer;
    if (LITTLE_ENDIAN) {
      // Copy: the caller may reuse its array before the next flush.
      b = Buffer.from(new Uint8Array(interleaved.buffer, interleaved.byteOffset, interleaved.byteLength));
    } else {
      b = Buffer.allocUnsafe(interleaved.length * 2);
      for (let i = 0; i < interleaved.length; i++) b.writeInt16LE(interleaved[i], i * 2);
    }
    this.pending.push(b);
    this.pendingBytes += b.length;
  }

  flush(): void {
    if (this.fd === undefined) return;
    if (this.pendingBytes > 0) {
      const chunk = Buffer.concat(this.pending, this.pendingBytes);
      writeSync(this.fd, chunk, 0, chunk.length, HEADER_BYTES + this.dataBytes);
      this.dataBytes += chunk.length;
      this.pending = [];
      this.pendingBytes = 0;
    }
    const sizes = header(this.sampleRate, this.channels, this.dataBytes);
    writeSync(this.fd, sizes, 4, 4, 4);
    writeSync(this.fd, sizes, 40, 4, 40);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
