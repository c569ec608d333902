/**
 * ITU-T G.711 mu-law (PCMU) and A-law (PCMA) on 16-bit linear PCM.
 * Both directions go through lookup tables built once at load: 64 KiB per encoder buys a
 * single array read per sample, which matters when a worker carries hundreds of legs.
 */

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

function mulawFromLinear(sample: number): number {
  let pcm = sample;
  const sign = pcm < 0 ? 0x80 : 0;
  if (sign) pcm = -pcm;
  if (pcm > MULAW_CLIP) pcm = MULAW_CLIP;
  pcm += MULAW_BIAS;
  // The segment is the position of the highest set bit above bit 7.
  let exponent = 7;
  for (let mask = 0x4000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (pcm >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function linearFromMulaw(byte: number): number {
  const u = ~byte & 0xff;
  let t = ((u & 0x0f) << 3) + MULAW_BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? MULAW_BIAS - t : t - MULAW_BIAS;
}

const ALAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function alawFromLinear(sample: number): number {
  // A-law works on 13 significant bits.
  let pcm = sample >> 3;
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  let segment = 0;
  while (segment < 8 && pcm > ALAW_SEGMENT_END[segment]!) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  let value = segment << 4;
  value |= segment < 2 ? (pcm >> 1) & 0x0f : (pcm >> segment) & 0x0f;
  return value ^ mask;
}

function linearFromAlaw(byte: number): number {
  const a = byte ^ 0x55;
  let t = (a & 0x0f) << 4;
  const segment = (a & 0x70) >> 4;
  if (segment === 0) t += 8;
  else t = (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

const MULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  MULAW_DECODE[i] = linearFromMulaw(i);
  ALAW_DECODE[i] = linearFromAlaw(i);
}
const MULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
for (let i = -32768; i < 32768; i++) {
  MULAW_ENCODE[i & 0xffff] = mulawFromLinear(i);
  ALAW_ENCODE[i & 0xffff] = alawFromLinear(i);
}

export function encodeMulaw(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = MULAW_ENCODE[pcm[i]! & 0xffff]!;
  return out;
}

export function decodeMulaw(b: Buffer): Int16Array {
  const out = new Int16Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = MULAW_DECODE[b[i]!]!;
  return out;
}

export function encodeAlaw(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = ALAW_ENCODE[pcm[i]! & 0xffff]!;
  return out;
}

export function decodeAlaw(b: Buffer): Int16Array {
  const out = new Int16Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = ALAW_DECODE[b[i]!]!;
  return out;
}
