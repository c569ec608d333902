/**
 * Rational-ratio sample-rate converter: a polyphase FIR whose prototype is a Kaiser-windowed
 * sinc. The prototype runs at fromRate*L and has 48 taps per phase of the larger of L and M,
 * which puts the transition band at about 0.44..0.53 of the lower rate with >70 dB rejection:
 * 8 kHz keeps 3.4 kHz flat and removes images/aliases from ~4.2 kHz up.
 * State (the input history and the fractional output position) carries across calls, so
 * feeding 20 ms frames one at a time gives the same samples as one long buffer.
 */

const TAPS_PER_PHASE = 48;
const STOPBAND_DB = 72;
const CUTOFF_FRACTION = 0.4825; // of the lower rate; the transition band is centred here

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

/** Low-pass prototype of `length` taps at `rate`, cutoff `cutoffHz`, DC gain `gain`. */
function designLowpass(length: number, rate: number, cutoffHz: number, gain: number): Float64Array {
  const h = new Float64Array(length);
  const beta = kaiserBeta(STOPBAND_DB);
  const i0Beta = besselI0(beta);
  const fc = cutoffHz / rate; // cycles per sample
  const centre = (length - 1) / 2;
  let sum = 0;
  for (let n = 0; n < length; n++) {
    const x = n - centre;
    const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
    const r = (2 * n) / (length - 1) - 1;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    h[n] = sinc * window;
    sum += h[n];
  }
  const scale = gain / sum;
  for (let n = 0; n < length; n++) h[n] *= scale;
  return h;
}

function clip(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  private readonly up: number;
  private readonly down: number;
  /**
   * All phases, each `tapsPerPhase` long and stored oldest-sample-first, so the inner loop
   * walks coefficients and input forwards together.
   */
  private readonly coeffs: Float64Array;
  private readonly tapsPerPhase: number;
  private readonly hist: number;
  /** Input history (hist samples) followed by the current input. */
  private work: Float64Array;
  /** Next output position in the up-sampled domain, relative to the first sample of the next input. */
  private position = 0;

  constructor(fromRate: number, toRate: number) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new RangeError(`invalid resampling rates ${fromRate} -> ${toRate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
    if (this.up === 1 && this.down === 1) {
      this.coeffs = new Float64Array(0);
      this.tapsPerPhase = 0;
      this.hist = 0;
      this.work = new Float64Array(0);
      return;
    }
    const length = TAPS_PER_PHASE * Math.max(this.up, this.down);
    const prototypeRate = fromRate * this.up;
    const cutoff = CUTOFF_FRACTION * Math.min(fromRate, toRate);
    const h = designLowpass(length, prototypeRate, cutoff, this.up);
    const taps = Math.ceil(length / this.up);
    this.tapsPerPhase = taps;
    this.coeffs = new Float64Array(this.up * taps);
    for (let p = 0; p < this.up; p++) {
      for (let k = 0; k < taps; k++) {
        const idx = p + k * this.up;
        // Tap k multiplies the input k samples before the newest; store it reversed.
        this.coeffs[p * taps + (taps - 1 - k)] = idx < length ? h[idx] : 0;
      }
    }
    this.hist = taps - 1;
    this.work = new Float64Array(this.hist + Math.ceil(fromRate / 50));
  }

  /** Samples of delay the filter adds, in output samples. */
  get delaySamples(): number {
    if (this.tapsPerPhase === 0) return 0;
    return (TAPS_PER_PHASE * Math.max(this.up, this.down) - 1) / 2 / this.down;
  }

  process(input: Int16Array): Int16Array {
    if (this.tapsPerPhase === 0) return input.slice();
    const hist = this.hist;
    if (this.work.length < hist + input.length) {
      const grown = new Float64Array(hist + input.length);
      grown.set(this.work.subarray(0, hist));
      this.work = grown;
    }
    const buf = this.work;
    for (let i = 0; i < input.length; i++) buf[hist + i] = input[i];

    const limit = input.length * this.up;
    const count = this.position < limit ? Math.ceil((limit - this.position) / this.down) : 0;
    const out = new Int16Array(count);
    if (this.down === 1 && this.position === 0) this.upsample(out);
    else if (this.up === 1 && (this.tapsPerPhase & 1) === 0) this.decimate(out);
    else this.interpolate(out);
    this.position += count * this.down - limit;
    // Keep the last `hist` input samples for the next call.
    buf.copyWithin(0, input.length, input.length + hist);
    return out;
  }

  /**
   * Integer up-sampling: every input sample starts `up` outputs that share one input window,
   * so phases are computed two at a time from the same loads.
   */
  private upsample(out: Int16Array): void {
    const { up, coeffs, work: buf } = this;
    const taps = this.tapsPerPhase;
    let n = 0;
    for (let base = 0; n < out.length; base++) {
      let p = 0;
      for (; p + 1 < up; p += 2) {
        let c = p * taps;
        let d = c + taps;
        const end = d;
        let j = base;
        let a0 = 0;
        let a1 = 0;
        let b0 = 0;
        let b1 = 0;
        for (; c + 1 < end; c += 2, d += 2, j += 2) {
          const v0 = buf[j];
          const v1 = buf[j + 1];
          a0 += coeffs[c] * v0;
          b0 += coeffs[d] * v0;
          a1 += coeffs[c + 1] * v1;
          b1 += coeffs[d + 1] * v1;
        }
        if (c < end) {
          a0 += coeffs[c] * buf[j];
          b0 += coeffs[d] * buf[j];
        }
        out[n++] = clip(a0 + a1);
        out[n++] = clip(b0 + b1);
      }
      if (p < up) {
        // Odd factor: the last phase alone.
        let acc = 0;
        for (let c = p * taps, j = base, end = c + taps; c < end; c++, j++) acc += coeffs[c] * buf[j];
        out[n++] = clip(acc);
      }
    }
  }

  /** General case: one polyphase branch per output sample. */
  private interpolate(out: Int16Array): void {
    const { up, down, coeffs, work: buf } = this;
    const taps = this.tapsPerPhase;
    const baseStep = Math.floor(down / up);
    const phaseStep = down % up;
    let base = Math.floor(this.position / up);
    let phase = this.position - base * up;
    for (let n = 0; n < out.length; n++) {
      // Window buf[base .. base+taps-1]; its newest sample is input[base].
      let j = base;
      let c = phase * taps;
      const end = c + taps;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (; c + 3 < end; c += 4, j += 4) {
        a0 += coeffs[c] * buf[j];
        a1 += coeffs[c + 1] * buf[j + 1];
        a2 += coeffs[c + 2] * buf[j + 2];
        a3 += coeffs[c + 3] * buf[j + 3];
      }
      for (; c < end; c++, j++) a0 += coeffs[c] * buf[j];
      out[n] = clip(a0 + a1 + a2 + a3);
      base += baseStep;
      phase += phaseStep;
      if (phase >= up) {
        phase -= up;
        base++;
      }
    }
  }

  /**
   * Pure decimation: a single phase whose kernel is symmetric (linear phase), so the window
   * is folded and the multiplications halved.
   */
  private decimate(out: Int16Array): void {
    const { down, coeffs, work: buf } = this;
    const taps = this.tapsPerPhase;
    const half = taps >> 1;
    let j = this.position;
    for (let n = 0; n < out.length; n++, j += down) {
      let a0 = 0;
      let a1 = 0;
      let lo = j;
      let hi = j + taps - 1;
      let c = 0;
      for (; c + 1 < half; c += 2, lo += 2, hi -= 2) {
        a0 += coeffs[c] * (buf[lo] + buf[hi]);
        a1 += coeffs[c + 1] * (buf[lo + 1] + buf[hi - 1]);
      }
      if (c < half) a0 += coeffs[c] * (buf[lo] + buf[hi]);
      out[n] = clip(a0 + a1);
    }
  }

  reset(): void {
    this.work.fill(0);
    this.position = 0;
  }
}
