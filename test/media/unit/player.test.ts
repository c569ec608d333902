import t from 'tap';
import { until } from '../../helpers/wait.js';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Player } from '../../../media/player.js';
import { WavWriter } from '../../../media/wav.js';
import { FakePort } from './fake-port.js';
import { peakFrequency, rms, sine, toneAmplitude } from './spectrum.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-player-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function writeTone(name: string, rate: number, freq: number, seconds: number, channels = 1): string {
  const path = join(dir, name);
  const w = new WavWriter(path, { sampleRate: rate, channels });
  const x = sine(freq, rate, rate * seconds, 12000);
  const inter = new Int16Array(x.length * channels);
  for (let i = 0; i < x.length; i++) for (let c = 0; c < channels; c++) inter[i * channels + c] = x[i];
  w.write(inter);
  w.close();
  return path;
}

t.test('a 16 kHz WAV plays into an 8 kHz port at the right pitch and duration, in real time', async (t) => {
  const file = writeTone('a440.wav', 16000, 440, 1);
  const port = new FakePort('p', 8000);
  const player = new Player(port, { file });
  t.teardown(() => player.stop());
  const started = performance.now();
  player.start();
  const [ended] = await once(player, 'ended');
  const elapsed = performance.now() - started;
  t.same(ended, { reason: 'finished' });
  t.equal(port.sent.length, 50, '50 frames of 20 ms');
  t.ok(
    port.sent.every((f) => f.sampleRate === 8000 && f.samples.length === 160),
    '8 kHz frames',
  );
  t.ok(elapsed > 900 && elapsed < 1700, `paced in real time (${elapsed.toFixed(0)} ms)`);
  const pcm = port.sentSamples();
  t.equal(peakFrequency(pcm, 8000, 100, 3900, 5), 440, 'pitch is 440 Hz');
  t.ok(Math.abs(toneAmplitude(pcm.subarray(800), 8000, 440) / 12000 - 1) < 0.1, 'level kept');
  const gaps = port.sentAt.slice(1).map((v, i) => v - port.sentAt[i]);
  t.ok(
    gaps.slice(1).every((g) => g < 150),
    'no long stalls between frames',
  );
});

t.test('stereo 48 kHz into a 48 kHz port: downmixed, no resampling', async (t) => {
  const file = writeTone('stereo.wav', 48000, 1000, 0.2, 2);
  const port = new FakePort('p', 48000);
  const player = new Player(port, { file });
  player.start();
  await once(player, 'ended');
  t.equal(port.sent.length, 10);
  t.equal(peakFrequency(port.sentSamples(), 48000, 200, 4000, 10), 1000);
});

t.test('tones: a finite beep ends by itself; ringback loops until stopped', async (t) => {
  const port = new FakePort('p', 8000);
  const beep = new Player(port, { tone: 'beep' });
  beep.start();
  const [e] = await once(beep, 'ended');
  t.equal(e.reason, 'finished');
  t.equal(peakFrequency(port.sentSamples(), 8000, 200, 3000, 10), 1000, 'beep is 1 kHz');
  const port2 = new FakePort('q', 48000);
  const ring = new Player(port2, { tone: 'ringback' }, { loop: true });
  const reasons: string[] = [];
  ring.on('ended', (e) => reasons.push(e.reason));
  ring.start();
  await new Promise((r) => setTimeout(r, 300)); // the test: ringback for a while, then stopped
  ring.stop();
  t.same(reasons, ['stopped']);
  const pcm = port2.sentSamples();
  t.ok(toneAmplitude(pcm, 48000, 440) > 1000 && toneAmplitude(pcm, 48000, 480) > 1000, 'ringback is 440+480 Hz');
  const n = port2.sent.length;
  await new Promise((r) => setTimeout(r, 100)); // the test: frames would show up in this span
  t.equal(port2.sent.length, n, 'nothing after stop');
});

t.test('stop emits ended once with reason stopped; closing the port stops the player', async (t) => {
  const port = new FakePort('p', 8000);
  const p = new Player(port, { tone: 'busy' });
  const reasons: string[] = [];
  p.on('ended', (e) => reasons.push(e.reason));
  p.start();
  await new Promise((r) => setTimeout(r, 60)); // the test: the port closes mid-tone
  port.close();
  p.stop();
  t.same(reasons, ['stopped']);
});

t.test('looping a file repeats it', async (t) => {
  const file = writeTone('short.wav', 8000, 600, 0.1);
  const port = new FakePort('p', 8000);
  const player = new Player(port, { file }, { loop: true });
  player.start();
  await until(() => port.sent.length >= 15, { timeoutMs: 5000 });
  player.stop();
  t.ok(port.sent.length >= 15, `kept playing past the 100 ms file (${port.sent.length} frames)`);
});

t.test('a PCM stream at 24 kHz plays as it arrives and ends when the stream ends', async (t) => {
  const port = new FakePort('p', 8000);
  const stream = new PassThrough();
  const player = new Player(port, { stream, sampleRate: 24000 });
  player.start();
  const x = sine(800, 24000, 24000 / 2, 10000);
  const bytes = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  // Deliver in uneven pieces with a pause, as a TTS engine would.
  stream.write(bytes.subarray(0, 5001));
  await new Promise((r) => setTimeout(r, 150)); // the test: the stream pauses
  stream.write(bytes.subarray(5001));
  stream.end();
  const [e] = await once(player, 'ended');
  t.equal(e.reason, 'finished');
  const pcm = port.sentSamples();
  t.ok(Math.abs(pcm.length - 4000) <= 160, `half a second delivered (${pcm.length} samples at 8 kHz)`);
  t.equal(peakFrequency(pcm, 8000, 100, 3900, 10), 800);
  t.ok(rms(pcm.subarray(400, 3600)) > 5000, 'no silent holes inside');
});

t.test('missing file and unknown tone throw at construction', async (t) => {
  const port = new FakePort('p', 8000);
  t.throws(() => new Player(port, { file: join(dir, 'nope.wav') }));
  t.throws(() => new Player(port, { tone: 'dtmf:Z' }));
});
