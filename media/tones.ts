/**
 * Generated call-progress tones and DTMF, 20 ms at a time with continuous phase.
 * Ringback and busy follow the North American cadences (Q.35 variants); they repeat forever.
 * A beep and a DTMF digit string are finite: next() then answers undefined.
 */
import { dtmfFrequencies } from './dtmf-keypad.js';

export type ToneName = 'ringback' | 'busy' | 'beep' | `dtmf:${string}`;

interface Segment {
  freqs: number[];
  ms: number;
}

const TONE_AMPLITUDE = 0.18 * 32767; // per component: -15 dBFS, two components stay clear of clipping
const DTMF_DIGIT_MS = 100;
const DTMF_GAP_MS = 100;

function cadence(tone: ToneName): { segments: Segment[]; repeat: boolean } {
  switch (tone) {
    case 'ringback':
      return {
        segments: [
          { freqs: [440, 480], ms: 2000 },
          { freqs: [], ms: 4000 },
        ],
        repeat: true,
      };
    case 'busy':
      return {
        segments: [
          { freqs: [480, 620], ms: 500 },
          { freqs: [], ms: 500 },
        ],
        repeat: true,
      };
    case 'beep':
      return { segments: [{ freqs: [1000], ms: 250 }], repeat: false };
    default: {
      const digits = tone.slice('dtmf:'.length);
      const segments: Segment[] = [];
      for (const d of digits) {
        const pair = dtmfFrequencies(d);
        if (!pair) throw new RangeError(`not a DTMF digit in tone ${JSON.stringify(tone)}: ${JSON.stringify(d)}`);
        if (segments.length > 0) segments.push({ freqs: [], ms: DTMF_GAP_MS });
        segments.push({ freqs: pair, ms: DTMF_DIGIT_MS });
      }
      if (segments.length === 0 || !tone.startsWith('dtmf:')) throw new RangeError(`unknown tone ${JSON.stringify(tone)}`);
      return { segments, repeat: false };
    }
  }
}

export class ToneGenerator {
  private readonly sampleRate: number;
  private readonly frame: number;
  private readonly segments: { freqs: number[]; samples: number }[];
  private readonly repeat: boolean;
  private readonly period: number;
  private position = 0; // samples since the start of the tone

  constructor(tone: ToneName, sampleRate: number) {
    if (!(sampleRate > 0) || sampleRate % 50 !== 0) throw new RangeError(`invalid sample rate ${sampleRate}`);
    const { segments, repeat } = cadence(tone);
    this.sampleRate = sampleRate;
    this.frame = sampleRate / 50;
    this.segments = segments.map((s) => ({ freqs: s.freqs, samples: Math.round((s.ms * sampleRate) / 1000) }));
    this.repeat = repeat;
    this.period = this.segments.reduce((a, s) => a + s.samples, 0);
  }

  /** Next 20 ms, or undefined once a finite tone has ended. */
  next(): Int16Array | undefined {
    if (!this.repeat && this.position >= this.period) return undefined;
    const out = new Int16Array(this.frame);
    for (let i = 0; i < this.frame; i++, this.position++) {
      if (!this.repeat && this.position >= this.period) break;
      const inPeriod = this.position % this.period;
      let start = 0;
      for (const seg of this.segments) {
        if (inPeriod < start + seg.samples) {
          const t = this.position / this.sampleRate;
          let v = 0;
          for (const f of seg.freqs) v += Math.sin(2 * Math.PI * f * t);
          out[i] = Math.round(v * TONE_AMPLITUDE);
          break;
        }
        start += seg.samples;
      }
    }
    return out;
  }
}
