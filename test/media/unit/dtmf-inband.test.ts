import t from 'tap';
import { InbandDtmfDetector } from '../../../media/dtmf.js';
import { ToneGenerator } from '../../../media/tones.js';
import type { DtmfEvent } from '../../../media/types.js';
import { concat, frames, noise, sine } from './spectrum.js';

const ALL = '0123456789*#ABCD';

function generate(tone: `dtmf:${string}`, rate: number): Int16Array {
  const g = new ToneGenerator(tone, rate);
  const out: Int16Array[] = [];
  for (let f = g.next(); f; f = g.next()) out.push(f);
  // Trailing silence so the last digit's end is seen.
  out.push(new Int16Array(rate / 10));
  return concat(out);
}

function detect(x: Int16Array, rate: number, offset = 0): DtmfEvent[] {
  const det = new InbandDtmfDetector(rate);
  const events: DtmfEvent[] = [];
  const shifted = concat([new Int16Array(offset), x]);
  for (const f of frames(shifted, rate / 50)) {
    const e = det.process(f);
    if (e) events.push(e);
  }
  return events;
}

function mix(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.max(-32768, Math.min(32767, a[i] + (b[i] ?? 0)));
  return out;
}

t.test('detects all 16 digits from the tone generator at 8 kHz', async (t) => {
  const x = generate(`dtmf:${ALL}`, 8000);
  const events = detect(x, 8000);
  t.equal(events.map((e) => e.digit).join(''), ALL);
  t.ok(
    events.every((e) => e.source === 'inband' && e.durationMs >= 80 && e.durationMs <= 120),
    'durations about 100 ms',
  );
});

t.test('frame alignment does not matter (tone starts mid-frame)', async (t) => {
  const x = generate('dtmf:159#', 8000);
  for (const offset of [37, 80, 123])
    t.equal(
      detect(x, 8000, offset)
        .map((e) => e.digit)
        .join(''),
      '159#',
      `offset ${offset}`,
    );
});

t.test('works at 16 and 48 kHz too', async (t) => {
  for (const rate of [16000, 48000])
    t.equal(
      detect(generate('dtmf:*0D7', rate), rate)
        .map((e) => e.digit)
        .join(''),
      '*0D7',
      `${rate} Hz`,
    );
});

t.test('detects all digits with noise at 15 dB SNR', async (t) => {
  const x = generate(`dtmf:${ALL}`, 8000);
  // Tones are two components of 0.18 FS: rms ~ 8340; uniform noise of amplitude 2500 has rms ~1440.
  const noisy = mix(x, noise(x.length, 2500, 99));
  t.equal(
    detect(noisy, 8000)
      .map((e) => e.digit)
      .join(''),
    ALL,
  );
});

t.test('rejects single tones, off-frequency pairs, strong twist and speech-like sound', async (t) => {
  const rate = 8000;
  const n = rate; // one second each
  t.same(detect(sine(697, rate, n, 8000), rate), [], 'row tone alone');
  t.same(detect(sine(1336, rate, n, 8000), rate), [], 'column tone alone');
  t.same(detect(sine(1000, rate, n, 12000), rate), [], 'a 1 kHz beep');
  t.same(detect(mix(sine(697 * 1.06, rate, n, 6000), sine(1209 * 1.06, rate, n, 6000)), rate), [], 'pair 6% off');
  t.same(detect(mix(sine(770, rate, n, 12000), sine(1336, rate, n, 1500)), rate), [], '18 dB twist');
  // A vowel-like sound: a 120 Hz pulse train's harmonics shaped by formants near 700 and 1200 Hz.
  const vowel = new Int16Array(n);
  for (let h = 1; h * 120 < 3500; h++) {
    const f = h * 120;
    const gain = 1 / (1 + ((f - 700) / 150) ** 2) + 0.8 / (1 + ((f - 1200) / 200) ** 2) + 0.05;
    const s = sine(f, rate, n, 3000 * gain, h * 0.7);
    for (let i = 0; i < n; i++) vowel[i] += s[i];
  }
  t.same(detect(vowel, rate), [], 'speech-like harmonics');
  t.same(detect(noise(n, 8000, 5), rate), [], 'white noise');
  t.same(detect(generate('dtmf:5', rate).map((v) => v >> 9) as Int16Array, rate), [], 'too quiet (-54 dB)');
});

t.test('debounce: a 20 ms blip is ignored, a short dropout does not split a digit', async (t) => {
  const rate = 8000;
  const g = generate('dtmf:8', rate).subarray(0, 160);
  t.same(detect(concat([new Int16Array(320), g, new Int16Array(800)]), rate), [], '20 ms blip');
  const tone = mix(sine(852, rate, 1600, 6000), sine(1336, rate, 1600, 6000));
  const withDrop = concat([tone.subarray(0, 800), new Int16Array(160), tone.subarray(960), new Int16Array(800)]);
  t.same(
    detect(withDrop, rate).map((e) => e.digit),
    ['8'],
    'one press despite a 20 ms dropout',
  );
});

t.test('survives the codecs: after a PCMU and an Opus round trip all 16 digits are found', async (t) => {
  const { encodeMulaw, decodeMulaw } = await import('../../../media/codecs/g711.js');
  const { createEncoder, createDecoder } = await import('../../../media/codecs/index.js');
  const x8 = generate(`dtmf:${ALL}`, 8000);
  t.equal(
    detect(decodeMulaw(encodeMulaw(x8)), 8000)
      .map((e) => e.digit)
      .join(''),
    ALL,
    'PCMU',
  );
  const opus = { name: 'opus' as const, payloadType: 111, clockRate: 48000, channels: 2 };
  for (const rate of [48000, 8000]) {
    const enc = createEncoder(opus, { pcmRate: rate });
    const dec = createDecoder(opus, { pcmRate: rate });
    const out = concat(frames(generate(`dtmf:${ALL}`, rate), rate / 50).map((f) => dec.decode(enc.encode(f))));
    enc.close();
    dec.close();
    t.equal(
      detect(out, rate)
        .map((e) => e.digit)
        .join(''),
      ALL,
      `Opus at ${rate} Hz`,
    );
  }
});
