/**
 * What a phone heard, measured against what the flow should have said: seconds of speech (loud
 * 100 ms windows whose energy is mostly in the telephone voice band), and how well a sentence
 * synthesized here by the same engine and voice matches the heard audio (the best normalised
 * correlation of their 20 ms loudness envelopes over every offset). A sentence that was spoken
 * matches closely; one that was skipped does not, even when its length is the same.
 */
import type { TtsProvider } from '../../src/speech/tts.js';
import { bandShare } from '../speech/audio.js';

export interface Pcm {
  samples: Int16Array;
  rate: number;
}

function rmsOf(x: Int16Array, start: number, n: number): number {
  let s = 0;
  for (let i = start; i < start + n; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / n);
}

/**
 * Seconds of 100 ms windows louder than `minRms` with at least 80 % of their energy in the telephone
 * voice band (80-3400 Hz: a voice's fundamental is in it, hiss and clicks are not).
 */
export function speechSeconds(pcm: Pcm, minRms = 300): number {
  // references are asked again by several checks: their (CPU-heavy) band analysis is kept
  const known = measured.get(pcm)?.get(minRms);
  if (known !== undefined) return known;
  const seconds = voicedSeconds(pcm, minRms);
  let byRms = measured.get(pcm);
  if (!byRms) {
    byRms = new Map();
    measured.set(pcm, byRms);
  }
  byRms.set(minRms, seconds);
  return seconds;
}

const measured = new WeakMap<Pcm, Map<number, number>>();

function voicedSeconds(pcm: Pcm, minRms: number): number {
  const n = Math.round(pcm.rate / 10);
  let windows = 0;
  for (let i = 0; i + n <= pcm.samples.length; i += n) {
    if (rmsOf(pcm.samples, i, n) < minRms) continue;
    if (bandShare(pcm.samples.subarray(i, i + n), pcm.rate, 80, 3400) >= 0.8) windows++;
  }
  return windows / 10;
}

/** Log loudness per 20 ms. */
export function envelope(pcm: Pcm): Float64Array {
  const n = Math.round(pcm.rate / 50);
  const out = new Float64Array(Math.floor(pcm.samples.length / n));
  for (let k = 0; k < out.length; k++) out[k] = Math.log10(1 + rmsOf(pcm.samples, k * n, n));
  return out;
}

/** The best Pearson correlation of `part`'s envelope against `whole`'s at any offset (-1..1; 0 when `whole` is shorter). */
export function bestMatch(whole: Float64Array, part: Float64Array): number {
  const m = part.length;
  if (m === 0 || whole.length < m) return 0;
  let pm = 0;
  for (const v of part) pm += v;
  pm /= m;
  let pv = 0;
  for (const v of part) pv += (v - pm) ** 2;
  let best = -1;
  for (let off = 0; off + m <= whole.length; off++) {
    let wm = 0;
    for (let i = 0; i < m; i++) wm += whole[off + i]!;
    wm /= m;
    let cov = 0;
    let wv = 0;
    for (let i = 0; i < m; i++) {
      const d = whole[off + i]! - wm;
      cov += d * (part[i]! - pm);
      wv += d * d;
    }
    const r = wv > 0 && pv > 0 ? cov / Math.sqrt(wv * pv) : 0;
    if (r > best) best = r;
  }
  return best;
}

/**
 * Platform settings for a test that makes its reference sentences with the platform's own engine
 * (`tp.platform.tts`) instead of a second one: one flite worker per file instead of two (each costs
 * ~1.5 s of CPU to instantiate), and no cache, so a reference is synthesized afresh rather than read
 * back from the copy the platform played.
 */
export const REFERENCE_SPEECH = { speech: { tts: { cache: { memoryBytes: 0, diskBytes: 0 } } } } as const;

/**
 * Each sentence is synthesized once per engine: flite is deterministic, and the checks ask for the
 * same reference several times (matching, then measuring its length).
 */
const references = new WeakMap<TtsProvider, Map<string, Promise<Pcm>>>();

/** The whole synthesized audio of `text`. */
export function synthesize(tts: TtsProvider, text: string): Promise<Pcm> {
  let byText = references.get(tts);
  if (!byText) {
    byText = new Map();
    references.set(tts, byText);
  }
  let pcm = byText.get(text);
  if (!pcm) {
    pcm = synthesizeOnce(tts, text);
    byText.set(text, pcm);
    pcm.catch(() => byText.delete(text));
  }
  return pcm;
}

async function synthesizeOnce(tts: TtsProvider, text: string): Promise<Pcm> {
  const parts: Int16Array[] = [];
  let rate = 8000;
  for await (const c of tts.synthesize(text)) {
    parts.push(c.samples);
    rate = c.sampleRate;
  }
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    at += p.length;
  }
  return { samples, rate };
}

/** How well each sentence matches what was heard (see `bestMatch`). */
export async function matches(tts: TtsProvider, heard: Pcm, texts: string[]): Promise<number[]> {
  const whole = envelope(heard);
  const out: number[] = [];
  for (const text of texts) out.push(bestMatch(whole, envelope(await synthesize(tts, text))));
  return out;
}
