/** Small signal-analysis helpers for the media unit tests (Goertzel with a Hann window, sine fits). */

export function sine(freq: number, rate: number, n: number, amplitude: number, phase = 0): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase));
  return out;
}

export function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length));
}

/**
 * Hann window of length `n`, kept per length: computing it inside every Goertzel pass cost a cosine
 * per sample per frequency, which made one `peakFrequency` over 1.5 s at 48 kHz take ~3 s of CPU.
 */
const hannWindows = new Map<number, Float64Array>();
function hann(n: number): Float64Array {
  let win = hannWindows.get(n);
  if (!win) {
    win = new Float64Array(n);
    for (let i = 0; i < n; i++) win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    if (hannWindows.size > 64) hannWindows.clear();
    hannWindows.set(n, win);
  }
  return win;
}

/** `x` times the Hann window: the same products every Goertzel pass over `x` would form. */
function windowed(x: ArrayLike<number>): Float64Array {
  const win = hann(x.length);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * win[i];
  return out;
}

/** Goertzel amplitude at `freq` of an already windowed signal. */
function goertzel(xw: Float64Array, rate: number, freq: number): number {
  const n = xw.length;
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = xw[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * Math.sqrt(re * re + im * im)) / (n * 0.5);
}

/** Amplitude of the component at `freq` (Hann-windowed Goertzel, so neighbours leak little). */
export function toneAmplitude(x: ArrayLike<number>, rate: number, freq: number): number {
  return goertzel(windowed(x), rate, freq);
}

/** The frequency between lo and hi (in `step` Hz steps) with the largest amplitude. */
export function peakFrequency(x: ArrayLike<number>, rate: number, lo: number, hi: number, step = 10): number {
  const xw = windowed(x);
  let best = lo;
  let bestA = -1;
  for (let f = lo; f <= hi; f += step) {
    const a = goertzel(xw, rate, f);
    if (a > bestA) {
      bestA = a;
      best = f;
    }
  }
  return best;
}

/** Ratio in dB of a least-squares sinusoid at `freq` to everything else in the signal. */
export function toneToResidualDb(x: ArrayLike<number>, rate: number, freq: number): number {
  const n = x.length;
  let cc = 0;
  let ss = 0;
  let cs = 0;
  let xc = 0;
  let xs = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  for (let i = 0; i < n; i++) {
    const c = Math.cos((2 * Math.PI * freq * i) / rate);
    const s = Math.sin((2 * Math.PI * freq * i) / rate);
    cc += c * c;
    ss += s * s;
    cs += c * s;
    xc += (x[i] - mean) * c;
    xs += (x[i] - mean) * s;
  }
  const det = cc * ss - cs * cs;
  const a = (xc * ss - xs * cs) / det;
  const b = (xs * cc - xc * cs) / det;
  let tone = 0;
  let resid = 0;
  for (let i = 0; i < n; i++) {
    const fit = a * Math.cos((2 * Math.PI * freq * i) / rate) + b * Math.sin((2 * Math.PI * freq * i) / rate);
    tone += fit * fit;
    const r = x[i] - mean - fit;
    resid += r * r;
  }
  return 10 * Math.log10(tone / Math.max(resid, 1e-9));
}

export function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** Deterministic pseudo-random noise (xorshift), uniform in [-amplitude, amplitude]. */
export function noise(n: number, amplitude: number, seed = 12345): Int16Array {
  let s = seed >>> 0 || 1;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = Math.round(((s / 0xffffffff) * 2 - 1) * amplitude);
  }
  return out;
}

export function frames(x: Int16Array, size: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + size <= x.length; i += size) out.push(x.slice(i, i + size));
  return out;
}
