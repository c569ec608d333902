/**
 * In-band DTMF detection for peers that send key presses as tones in the audio. Each 20 ms
 * frame is measured with the Goertzel algorithm at the eight keypad frequencies. A frame
 * counts as a digit only when one row and one column tone clearly dominate their groups,
 * together carry most of the frame's energy (speech and music spread theirs), the two levels
 * are within the allowed twist, and the level is above the noise floor. A digit must hold for
 * two frames to start and be absent for two frames to end, which debounces both edges.
 */
import type { DtmfEvent } from './types.js';
import { DTMF_COLUMN_HZ, DTMF_ROW_HZ, keypadDigit } from './dtmf-keypad.js';

const MIN_TONE_RMS = 60; // about -55 dBFS per tone
const MIN_TONE_SHARE = 0.6; // of the frame's energy held by the two tones
const GROUP_DOMINANCE = 6; // power ratio over the next tone of the same group (~8 dB)
const MAX_TWIST_DB = 8;
const ON_FRAMES = 2;
const OFF_FRAMES = 2;

interface Goertzel {
  coeff: number;
  cos: number;
  sin: number;
}

export class InbandDtmfDetector {
  private readonly sampleRate: number;
  private readonly filters = new Map<number, Goertzel[]>();
  private candidate: string | undefined;
  private candidateFrames = 0;
  private active: string | undefined;
  private activeFrames = 0;
  private missFrames = 0;
  private frameMs = 20;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
  }

  process(frame: Int16Array): DtmfEvent | undefined {
    if (frame.length === 0) return undefined;
    this.frameMs = (frame.length * 1000) / this.sampleRate;
    const digit = this.classify(frame);
    let emitted: DtmfEvent | undefined;

    if (this.active !== undefined) {
      if (digit === this.active) {
        this.activeFrames++;
        this.missFrames = 0;
        return undefined;
      }
      this.missFrames++;
      if (this.missFrames < OFF_FRAMES && digit === undefined) return undefined;
      emitted = {
        digit: this.active,
        durationMs: Math.round(this.activeFrames * this.frameMs),
        source: 'inband',
      };
      this.active = undefined;
      this.candidate = undefined;
      this.candidateFrames = 0;
    }

    if (digit === undefined) {
      this.candidate = undefined;
      this.candidateFrames = 0;
    } else if (digit === this.candidate) {
      this.candidateFrames++;
    } else {
      this.candidate = digit;
      this.candidateFrames = 1;
    }
    if (this.candidate !== undefined && this.candidateFrames >= ON_FRAMES) {
      this.active = this.candidate;
      this.activeFrames = this.candidateFrames;
      this.missFrames = 0;
      this.candidate = undefined;
      this.candidateFrames = 0;
    }
    return emitted;
  }

  private filtersFor(n: number): Goertzel[] {
    let f = this.filters.get(n);
    if (!f) {
      f = [...DTMF_ROW_HZ, ...DTMF_COLUMN_HZ].map((hz) => {
        const w = (2 * Math.PI * hz) / this.sampleRate;
        return { coeff: 2 * Math.cos(w), cos: Math.cos(w), sin: Math.sin(w) };
      });
      this.filters.set(n, f);
    }
    return f;
  }

  /** The digit this frame holds, if it passes every check. */
  private classify(frame: Int16Array): string | undefined {
    const n = frame.length;
    let energy = 0;
    for (let i = 0; i < n; i++) energy += frame[i] * frame[i];
    if (energy / n < MIN_TONE_RMS * MIN_TONE_RMS) return undefined;

    // Power of each frequency as the energy share a sine at it would have: 2|X|^2 / N.
    const powers = this.filtersFor(n).map(({ coeff, cos, sin }) => {
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s0 = frame[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      const re = s1 - s2 * cos;
      const im = s2 * sin;
      return (2 * (re * re + im * im)) / n;
    });
    const rows = powers.slice(0, 4);
    const cols = powers.slice(4);
    const row = strongest(rows);
    const col = strongest(cols);
    if (row.second * GROUP_DOMINANCE > row.power || col.second * GROUP_DOMINANCE > col.power) return undefined;
    if ((row.power + col.power) < MIN_TONE_SHARE * energy) return undefined;
    const twistDb = 10 * Math.log10(col.power / row.power);
    if (Math.abs(twistDb) > MAX_TWIST_DB) return undefined;
    const perTone = Math.min(row.power, col.power) / n;
    if (perTone < (MIN_TONE_RMS * MIN_TONE_RMS) / 4) return undefined;
    return keypadDigit(row.index, col.index);
  }
}

function strongest(p: number[]): { index: number; power: number; second: number } {
  let index = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[index]) index = i;
  let second = 0;
  for (let i = 0; i < p.length; i++) if (i !== index && p[i] > second) second = p[i];
  return { index, power: p[index], second };
}
