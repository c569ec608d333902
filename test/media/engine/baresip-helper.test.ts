/** The baresip test phone works: two phones call each other directly and each hears the other's WAV. */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Baresip } from '../../helpers/baresip.js';
import { untilHeard } from '../../calls/phones.js';
import { readWav } from '../../../media/wav.js';
import { peakFrequency } from '../../media/unit/spectrum.js';

t.test('baresip phones: direct call, audio both ways, recordings', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bs-wav-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const wavA = join(dir, 'a.wav');
  const wavB = join(dir, 'b.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', wavA, 'synth', '6', 'sine', '1000', 'vol', '0.3']);
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', wavB, 'synth', '6', 'sine', '440', 'vol', '0.3']);
  const a = await Baresip.start({ user: 'alice', playWav: wavA, codecs: ['PCMU'] });
  const b = await Baresip.start({ user: 'bob', playWav: wavB, codecs: ['PCMU'], autoAnswer: true });
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const established = a.waitFor('CALL_ESTABLISHED', 10000);
  await a.dial(b.uri);
  await established;
  await untilHeard([a, b], 2); // two seconds of audio each way
  const closed = b.waitFor('CALL_CLOSED', 5000);
  await a.hangup();
  await closed;
  const heardByB = b.recordings('dec');
  const heardByA = a.recordings('dec');
  t.equal(heardByB.length, 1, 'bob recorded what he heard');
  t.equal(heardByA.length, 1, 'alice recorded what she heard');
  const wb = readWav(heardByB[0]);
  const wa = readWav(heardByA[0]);
  const sb = wb.samples[0].subarray(wb.sampleRate / 2);
  const sa = wa.samples[0].subarray(wa.sampleRate / 2);
  t.ok(
    Math.abs(peakFrequency(sb, wb.sampleRate, 200, 3500) - 1000) <= 20,
    `bob heard 1 kHz (${peakFrequency(sb, wb.sampleRate, 200, 3500)})`,
  );
  t.ok(
    Math.abs(peakFrequency(sa, wa.sampleRate, 200, 3500) - 440) <= 20,
    `alice heard 440 Hz (${peakFrequency(sa, wa.sampleRate, 200, 3500)})`,
  );
});
