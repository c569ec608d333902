import t from 'tap';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder } from '../../../media/recorder.js';
import { SilenceDetector } from '../../../media/silence-detector.js';
import { FakePort } from './fake-port.js';
import { noise, sine } from './spectrum.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-silence-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('the detector fires once, after silenceMs of quiet frames; a loud frame restarts the count', async (t) => {
  const d = new SilenceDetector({ silenceMs: 100 });
  const loud = sine(440, 8000, 160, 3000);
  const hiss = noise(160, 200); // line noise under the threshold
  const fired: number[] = [];
  const frames = [loud, hiss, hiss, hiss, hiss, loud, hiss, hiss, hiss, hiss, hiss, hiss, hiss];
  frames.forEach((f, i) => {
    if (d.feed(f, 20)) fired.push(i);
  });
  t.same(fired, [10], 'five quiet frames after the last loud one, and only once');
  t.throws(() => new SilenceDetector({ silenceMs: 0 }), RangeError);
  const sensitive = new SilenceDetector({ silenceMs: 20, thresholdRms: 50 });
  t.notOk(sensitive.feed(hiss, 20), 'a lower threshold hears the hiss as voice');
});

t.test('the recorder emits silence after the caller stops; none while the caller speaks', async (t) => {
  const caller = new FakePort('caller', 8000);
  const rec = new Recorder(join(dir, 'vad.wav'), [caller], { sampleRate: 8000, silenceMs: 500 });
  t.teardown(() => rec.stop());
  let silentAt = 0;
  rec.on('silence', () => {
    silentAt = performance.now();
  });
  // 1.2 s of voice (over twice the silence length), then the phone sends nothing.
  const end = performance.now() + 1200;
  let pos = 0;
  while (performance.now() < end) {
    caller.hear(sine(500, 8000, 160, 6000, (2 * Math.PI * 500 * pos) / 8000));
    pos += 160;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(silentAt, 0, 'no silence while the tone played');
  const stoppedAt = performance.now();
  const [e] = await once(rec, 'silence');
  const after = silentAt - stoppedAt;
  t.ok(after >= 350 && after < 3000, `silence reported ${Math.round(after)} ms after the voice stopped`);
  t.ok(e.atMs >= 1500, `at ${e.atMs} ms into the recording`);
  const closed = once(rec, 'closed');
  rec.stop();
  await closed;
});

t.test('without silenceMs the recorder never reports silence', async (t) => {
  const rec = new Recorder(join(dir, 'plain.wav'), [new FakePort('caller', 8000)], { sampleRate: 8000 });
  let fired = false;
  rec.on('silence', () => {
    fired = true;
  });
  await new Promise((r) => setTimeout(r, 400));
  rec.stop();
  t.notOk(fired);
});
