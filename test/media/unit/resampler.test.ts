import t from 'tap';
import { Resampler } from '../../../media/codecs/resampler.js';
import { concat, db, frames, sine, toneAmplitude } from './spectrum.js';

/** Run a signal through a resampler 20 ms at a time, as the media path does. */
function run(r: Resampler, x: Int16Array, fromRate: number): Int16Array {
  return concat(frames(x, fromRate / 50).map((f) => r.process(f)));
}

/** Skip the filter's start-up and measure the steady state. */
function steady(y: Int16Array, rate: number): Int16Array {
  return y.subarray(Math.round(rate * 0.05));
}

const AMP = 10000;

t.test('output length is exact per 20 ms frame for 8/16/48 kHz pairs', async (t) => {
  const rates = [8000, 16000, 48000];
  for (const from of rates) {
    for (const to of rates) {
      const r = new Resampler(from, to);
      for (let i = 0; i < 5; i++) t.equal(r.process(new Int16Array(from / 50)).length, to / 50, `${from}->${to}`);
    }
  }
  const odd = new Resampler(44100, 8000);
  let total = 0;
  for (let i = 0; i < 50; i++) total += odd.process(new Int16Array(882)).length;
  t.equal(total, 8000, '44.1 kHz -> 8 kHz: one second in, one second out');
});

t.test('passband below 3.4 kHz is flat within 0.5 dB (8k<->48k, 8k<->16k)', async (t) => {
  for (const [from, to] of [
    [8000, 48000],
    [48000, 8000],
    [8000, 16000],
    [16000, 8000],
  ]) {
    let worst = 0;
    for (const f of [100, 300, 1000, 2000, 3000, 3400]) {
      const y = steady(run(new Resampler(from, to), sine(f, from, from / 2, AMP), from), to);
      const gain = db(toneAmplitude(y, to, f) / AMP);
      worst = Math.max(worst, Math.abs(gain));
    }
    t.ok(worst < 0.5, `${from}->${to}: worst passband deviation ${worst.toFixed(3)} dB`);
  }
});

t.test('16k<->48k passband flat to 7 kHz', async (t) => {
  for (const [from, to] of [
    [16000, 48000],
    [48000, 16000],
  ]) {
    let worst = 0;
    for (const f of [200, 1000, 4000, 6800]) {
      const y = steady(run(new Resampler(from, to), sine(f, from, from / 2, AMP), from), to);
      worst = Math.max(worst, Math.abs(db(toneAmplitude(y, to, f) / AMP)));
    }
    t.ok(worst < 0.5, `${from}->${to}: ${worst.toFixed(3)} dB`);
  }
});

t.test('upsampling 8->48 kHz rejects the images of a 1 kHz tone by > 40 dB', async (t) => {
  const y = steady(run(new Resampler(8000, 48000), sine(1000, 8000, 8000, AMP), 8000), 48000);
  const wanted = toneAmplitude(y, 48000, 1000);
  t.ok(Math.abs(db(wanted / AMP)) < 0.5, 'tone kept');
  for (const image of [7000, 9000, 15000, 17000, 23000]) {
    const rej = db(wanted / toneAmplitude(y, 48000, image));
    t.ok(rej > 40, `image at ${image} Hz is ${rej.toFixed(1)} dB down`);
  }
});

t.test('downsampling 48->8 kHz attenuates a 6 kHz tone (alias at 2 kHz) by > 40 dB', async (t) => {
  const y = steady(run(new Resampler(48000, 8000), sine(6000, 48000, 48000, AMP), 48000), 8000);
  const alias = toneAmplitude(y, 8000, 2000);
  t.ok(db(AMP / Math.max(alias, 1e-6)) > 40, `alias at 2 kHz is ${db(AMP / alias).toFixed(1)} dB down`);
  // 4.5 kHz, only just above the 8 kHz Nyquist frequency, folds to 3.5 kHz: also rejected.
  const y2 = steady(run(new Resampler(48000, 8000), sine(4500, 48000, 48000, AMP), 48000), 8000);
  t.ok(db(AMP / toneAmplitude(y2, 8000, 3500)) > 40, '4.5 kHz alias rejected');
  const y3 = steady(run(new Resampler(16000, 8000), sine(5000, 16000, 16000, AMP), 16000), 8000);
  t.ok(db(AMP / toneAmplitude(y3, 8000, 3000)) > 40, '16->8: 5 kHz alias rejected');
});

t.test('stateful across frames: frame-by-frame equals one block; reset clears history', async (t) => {
  const x = sine(700, 8000, 1600, AMP);
  const a = run(new Resampler(8000, 48000), x, 8000);
  const b = new Resampler(8000, 48000).process(x);
  t.same([...a], [...b], 'same samples either way');
  const r = new Resampler(48000, 8000);
  r.process(sine(1000, 48000, 960, AMP));
  r.reset();
  const afterReset = r.process(new Int16Array(960));
  t.equal(
    afterReset.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
    0,
    'no ringing from before the reset',
  );
});

t.test('bad rates are refused', async (t) => {
  t.throws(() => new Resampler(0, 8000));
  t.throws(() => new Resampler(8000, 44100.5));
});

t.test('odd ratios for prompt files: 44.1 kHz -> 8 kHz and 22.05 kHz -> 16 kHz', async (t) => {
  for (const [from, to, pass, stop, alias] of [
    [44100, 8000, 3000, 6000, 2000],
    [22050, 16000, 6000, 10000, 6000],
  ]) {
    const run1 = (f: number) => {
      const r = new Resampler(from, to);
      const x = sine(f, from, from, AMP);
      const parts: Int16Array[] = [];
      for (let i = 0; i < x.length; i += 882) parts.push(r.process(x.subarray(i, i + 882)));
      return concat(parts).subarray(to / 10);
    };
    const kept = toneAmplitude(run1(pass), to, pass);
    t.ok(Math.abs(db(kept / AMP)) < 0.5, `${from}->${to}: ${pass} Hz kept (${db(kept / AMP).toFixed(2)} dB)`);
    const folded = toneAmplitude(run1(stop), to, alias);
    t.ok(db(AMP / Math.max(folded, 1e-6)) > 40, `${from}->${to}: ${stop} Hz does not fold to ${alias} Hz`);
  }
});
