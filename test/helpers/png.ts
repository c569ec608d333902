/**
 * Just enough PNG decoding to judge a screenshot: 8-bit RGB or RGBA, not interlaced (what
 * Chromium writes). Tests use it to tell a rendered widget from a blank or one-colour image.
 */
import { inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  /** Bytes per pixel: 3 (RGB) or 4 (RGBA). */
  channels: number;
  pixels: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function decodePng(png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let off = 8; off + 8 <= png.length; ) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colour = data[9];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || data[12] !== 0)
        throw new Error(`unsupported PNG (depth ${depth}, colour type ${colour}, interlace ${data[12]})`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      const x = line[i]!;
      if (filter === 0) out[i] = x;
      else if (filter === 1) out[i] = x + a;
      else if (filter === 2) out[i] = x + b;
      else if (filter === 3) out[i] = x + ((a + b) >> 1);
      else if (filter === 4) out[i] = x + paeth(a, b, c);
      else throw new Error(`bad PNG filter ${filter}`);
    }
  }
  return { width, height, channels, pixels };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** How many distinct RGB colours the image holds (enough to tell text and controls from a flat fill). */
export function distinctColours(img: DecodedPng): number {
  const seen = new Set<number>();
  for (let i = 0; i < img.pixels.length; i += img.channels)
    seen.add((img.pixels[i]! << 16) | (img.pixels[i + 1]! << 8) | img.pixels[i + 2]!);
  return seen.size;
}

/** Share of pixels (0..1) within `tolerance` of the RGB colour. */
export function shareOfColour(img: DecodedPng, rgb: [number, number, number], tolerance = 8): number {
  let n = 0;
  const total = img.pixels.length / img.channels;
  for (let i = 0; i < img.pixels.length; i += img.channels) {
    if (
      Math.abs(img.pixels[i]! - rgb[0]) <= tolerance &&
      Math.abs(img.pixels[i + 1]! - rgb[1]) <= tolerance &&
      Math.abs(img.pixels[i + 2]! - rgb[2]) <= tolerance
    )
      n++;
  }
  return total ? n / total : 0;
}

/** Share of pixels (0..1) in the most common RGB colour: 1 for a blank or flat image. */
export function dominantShare(img: DecodedPng): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < img.pixels.length; i += img.channels) {
    const c = (img.pixels[i]! << 16) | (img.pixels[i + 1]! << 8) | img.pixels[i + 2]!;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const total = img.pixels.length / img.channels;
  return total ? Math.max(0, ...counts.values()) / total : 1;
}
