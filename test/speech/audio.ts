/** Signal measures for synthesized speech. */

/** Energy at one frequency (Goertzel) over a block. */
function goertzel(x: Int16Array, start: number, n: number, freq: number, rate: number): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s = x[start + i] + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

/** Share of spectral energy between lo and hi Hz, sampled every 50 Hz over 32 ms blocks. */
export function bandShare(x: Int16Array, rate: number, lo: number, hi: number): number {
  const n = Math.round(rate * 0.032);
  let inBand = 0;
  let total = 0;
  for (let start = 0; start + n <= x.length; start += n) {
    for (let f = 50; f < rate / 2; f += 50) {
      const e = goertzel(x, start, n, f, rate);
      total += e;
      if (f >= lo && f <= hi) inBand += e;
    }
  }
  return total ? inBand / total : 0;
}

export function rms(x: Int16Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}

export function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function sine(freq: number, rate: number, seconds: number, amp = 8000): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}
