import t from 'tap';
import { ToneGenerator } from '../../../media/tones.js';
import { rms, toneAmplitude } from './spectrum.js';

function take(g: ToneGenerator, frames: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i < frames; i++) {
    const f = g.next();
    if (!f) break;
    out.push(f);
  }
  return out;
}

t.test('ringback: 440+480 Hz, 2 s on, 4 s off, repeating', async (t) => {
  const frames = take(new ToneGenerator('ringback', 8000), 650);
  t.equal(frames.length, 650, 'never ends');
  const on = frames.map((f) => rms(f) > 1000);
  t.ok(on.slice(0, 100).every(Boolean), 'on for the first 2 s');
  t.ok(
    on.slice(100, 300).every((v) => !v),
    'off for the next 4 s',
  );
  t.ok(on.slice(300, 400).every(Boolean), 'then on again');
  const x = frames[10];
  t.ok(
    toneAmplitude(
      frames.slice(0, 50).flatMap((f) => [...f]),
      8000,
      440,
    ) > 4000,
  );
  t.ok(
    toneAmplitude(
      frames.slice(0, 50).flatMap((f) => [...f]),
      8000,
      480,
    ) > 4000,
  );
  t.equal(x.length, 160);
});

t.test('busy: 480+620 Hz, half a second on and off', async (t) => {
  const frames = take(new ToneGenerator('busy', 16000), 100);
  const on = frames.map((f) => rms(f) > 1000);
  t.same(on.slice(0, 50), [...Array(25).fill(true), ...Array(25).fill(false)]);
  t.equal(frames[0].length, 320);
  const x = frames.slice(0, 25).flatMap((f) => [...f]);
  t.ok(toneAmplitude(x, 16000, 620) > 4000 && toneAmplitude(x, 16000, 480) > 4000);
});

t.test('beep and DTMF strings are finite; phase is continuous across frames', async (t) => {
  const beep = take(new ToneGenerator('beep', 48000), 100);
  t.equal(beep.length, 13, '250 ms rounds up to 13 frames, the last one partly silent');
  const joined = beep.slice(0, 12).flatMap((f) => [...f]);
  let maxStep = 0;
  for (let i = 1; i < joined.length; i++) maxStep = Math.max(maxStep, Math.abs(joined[i] - joined[i - 1]));
  t.ok(maxStep < 800, `no clicks at frame edges (largest step ${maxStep})`);
  const digits = take(new ToneGenerator('dtmf:12#', 8000), 100);
  t.equal(digits.length, 25, '3 digits of 100 ms with 2 gaps of 100 ms');
  t.throws(() => new ToneGenerator('dtmf:', 8000));
  t.throws(() => new ToneGenerator('dtmf:1x', 8000));
  t.throws(() => new ToneGenerator('siren' as 'beep', 8000));
  t.throws(() => new ToneGenerator('beep', 8001));
});
