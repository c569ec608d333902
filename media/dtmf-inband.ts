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

/** Goertzel coefficients of one group's four tones at one frame length. */
interface ToneGroup {
  coeff: Float64Array;
  cos: Float64Array;
  sin: Float64Array;
}

/**
 * The smallest share of the frame's energy the stronger row tone can have in a digit: the two
 * tones together hold MIN_TONE_SHARE, and the weaker is at most MAX_TWIST_DB below the stronger.
 */
const MIN_ROW_SHARE = MIN_TONE_SHARE / (1 + 10 ** (MAX_TWIST_DB / 10));

export class InbandDtmfDetector {
  private readonly sampleRate: number;
  private readonly groups = new Map<number, [ToneGroup, ToneGroup]>();
  /** The last frame length's groups: every frame of a leg has the same length. */
  private lastGroups: [ToneGroup, ToneGroup] | undefined;
  private lastN = 0;
  private readonly rowPowers = new Float64Array(4);
  private readonly colPowers = new Float64Array(4);
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

  private groupsFor(n: number): [ToneGroup, ToneGroup] {
    if (n === this.lastN && this.lastGroups) return this.lastGroups;
    let g = this.groups.get(n);
    if (!g) {
      const group = (hzs: readonly number[]): ToneGroup => {
        const w = hzs.map((hz) => (2 * Math.PI * hz) / this.sampleRate);
        return {
          coeff: Float64Array.from(w, (x) => 2 * Math.cos(x)),
          cos: Float64Array.from(w, Math.cos),
          sin: Float64Array.from(w, Math.sin),
        };
      };
      g = [group(DTMF_ROW_HZ), group(DTMF_COLUMN_HZ)];
      this.groups.set(n, g);
    }
    this.lastN = n;
    this.lastGroups = g;
    return g;
  }

  /** The digit this frame holds, if it passes every check. Runs on every frame of such legs. */
  private classify(frame: Int16Array): string | undefined {
    const n = frame.length;
    const [rowGroup, colGroup] = this.groupsFor(n);
    // The row filters and the frame's energy in one pass over the samples.
    const energy = goertzel4(frame, rowGroup, this.rowPowers);
    if (energy / n < MIN_TONE_RMS * MIN_TONE_RMS) return undefined;
    const row = strongest(this.rowPowers);
    // Speech and music rarely put this much in one row tone: most frames stop here, half the work.
    if (row.power < MIN_ROW_SHARE * energy) return undefined;
    if (row.second * GROUP_DOMINANCE > row.power) return undefined;
    goertzel4(frame, colGroup, this.colPowers);
    const col = strongest(this.colPowers);
    if (col.second * GROUP_DOMINANCE > col.power) return undefined;
    if (row.power + col.power < MIN_TONE_SHARE * energy) return undefined;
    const twistDb = 10 * Math.log10(col.power / row.power);
    if (Math.abs(twistDb) > MAX_TWIST_DB) return undefined;
    const perTone = Math.min(row.power, col.power) / n;
    if (perTone < (MIN_TONE_RMS * MIN_TONE_RMS) / 4) return undefined;
    return keypadDigit(row.index, col.index);
  }
}

/**
 * Four Goertzel filters in one pass over the frame. Power of each frequency as the energy share
 * a sine at it would have: 2|X|^2 / N. Returns the frame's energy (sum of squares), taken on the way.
 */
function goertzel4(frame: Int16Array, g: ToneGroup, out: Float64Array): number {
  const c0 = g.coeff[0],
    c1 = g.coeff[1],
    c2 = g.coeff[2],
    c3 = g.coeff[3];
  let a1 = 0,
    a2 = 0,
    b1 = 0,
    b2 = 0,
    d1 = 0,
    d2 = 0,
    e1 = 0,
    e2 = 0,
    energy = 0;
  const n = frame.length;
  for (let i = 0; i < n; i++) {
    const x = frame[i];
    energy += x * x;
    const a0 = x + c0 * a1 - a2;
    a2 = a1;
    a1 = a0;
    const b0 = x + c1 * b1 - b2;
    b2 = b1;
    b1 = b0;
    const d0 = x + c2 * d1 - d2;
    d2 = d1;
    d1 = d0;
    const e0 = x + c3 * e1 - e2;
    e2 = e1;
    e1 = e0;
  }
  out[0] = power(a1, a2, g.cos[0], g.sin[0], n);
  out[1] = power(b1, b2, g.cos[1], g.sin[1], n);
  out[2] = power(d1, d2, g.cos[2], g.sin[2], n);
  out[3] = power(e1, e2, g.cos[3], g.sin[3], n);
  return energy;
}

function power(s1: number, s2: number, cos: number, sin: number, n: number): number {
  const re = s1 - s2 * cos;
  const im = s2 * sin;
  return (2 * (re * re + im * im)) / n;
}

function strongest(p: Float64Array): { index: number; power: number; second: number } {
  let index = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[index]) index = i;
  let second = 0;
  for (let i = 0; i < p.length; i++) if (i !== index && p[i] > second) second = p[i];
  return { index, power: p[index], second };
}
