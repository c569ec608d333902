import t from 'tap';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder } from '../../../media/recorder.js';
import { readWav } from '../../../media/wav.js';
import { FakePort } from './fake-port.js';
import { sine, toneAmplitude } from './spectrum.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-recorder-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each port emits its tone every 20 ms until `ms` has passed. */
async function speak(ports: { port: FakePort; freq: number }[], ms: number, onTick?: () => void): Promise<void> {
  const pos = new Map<FakePort, number>();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (const { port, freq } of ports) {
      const n = port.pcmRate / 50;
      const p = pos.get(port) ?? 0;
      port.hear(sine(freq, port.pcmRate, n, 8000, (2 * Math.PI * freq * p) / port.pcmRate));
      pos.set(port, p + n);
    }
    onTick?.();
    await sleep(20);
  }
}

t.test('two ports -> stereo WAV, caller left, callee right, each tone in its own channel', async (t) => {
  const path = join(dir, 'call.wav');
  const caller = new FakePort('caller', 8000);
  const callee = new FakePort('callee', 48000);
  const rec = new Recorder(path, [caller, callee], { sampleRate: 16000 });
  t.teardown(() => rec.stop());
  await speak(
    [
      { port: caller, freq: 600 },
      { port: callee, freq: 1400 },
    ],
    1000,
  );
  const closed = once(rec, 'closed');
  rec.stop();
  const [info] = await closed;
  t.equal(info.path, path);
  t.ok(info.durationMs >= 900 && info.durationMs <= 1200, `duration ${info.durationMs} ms`);
  const wav = readWav(path);
  t.equal(wav.channels, 2);
  t.equal(wav.sampleRate, 16000);
  const [left, right] = wav.samples.map((c) => c.subarray(1600));
  const l600 = toneAmplitude(left, 16000, 600);
  const l1400 = toneAmplitude(left, 16000, 1400);
  const r600 = toneAmplitude(right, 16000, 600);
  const r1400 = toneAmplitude(right, 16000, 1400);
  t.ok(l600 > 5000, `caller's 600 Hz on the left (${l600.toFixed(0)})`);
  t.ok(r1400 > 5000, `callee's 1400 Hz on the right (${r1400.toFixed(0)})`);
  t.ok(l1400 < l600 / 100, 'callee not on the left');
  t.ok(r600 < r1400 / 100, 'caller not on the right');
  t.equal(caller.listenerCount('audio'), 0, 'listeners removed on stop');
});

t.test('silence fills the gaps: a port that stops talking keeps the timeline aligned', async (t) => {
  const path = join(dir, 'gaps.wav');
  const a = new FakePort('a', 8000);
  const b = new FakePort('b', 8000);
  const rec = new Recorder(path, [a, b], { sampleRate: 8000 });
  t.teardown(() => rec.stop());
  await speak(
    [
      { port: a, freq: 500 },
      { port: b, freq: 900 },
    ],
    400,
  );
  await speak([{ port: a, freq: 500 }], 400); // b silent (muted phone, hold)
  rec.stop();
  const wav = readWav(path);
  const n = wav.samples[0].length;
  t.ok(n >= 0.7 * 8000 && n <= 0.95 * 8000, `both channels run the whole 800 ms (${n} samples)`);
  const bSecondHalf = wav.samples[1].subarray(Math.round(n * 0.6));
  const aSecondHalf = wav.samples[0].subarray(Math.round(n * 0.6));
  t.ok(toneAmplitude(aSecondHalf, 8000, 500) > 4000, 'a still recorded');
  t.ok(toneAmplitude(bSecondHalf, 8000, 900) < 100, 'b silent where it did not talk');
});

t.test('flushed about once a second while recording: readable mid-call', async (t) => {
  const path = join(dir, 'live.wav');
  const a = new FakePort('a', 8000);
  const rec = new Recorder(path, [a], { sampleRate: 8000 });
  t.teardown(() => rec.stop());
  await speak([{ port: a, freq: 700 }], 1300);
  const file = readFileSync(path);
  const dataBytes = file.readUInt32LE(40);
  t.ok(dataBytes >= 0.9 * 16000, `~1 s already on disk (${dataBytes} bytes)`);
  t.equal(file.length, 44 + dataBytes, 'header matches the bytes on disk');
  t.ok(toneAmplitude(readWav(path).samples[0].subarray(800), 8000, 700) > 4000, 'and holds the audio');
});

t.test('stops by itself when every port has closed', async (t) => {
  const path = join(dir, 'closing.wav');
  const a = new FakePort('a', 8000);
  const b = new FakePort('b', 8000);
  const rec = new Recorder(path, [a, b], { sampleRate: 8000 });
  let closedEvents = 0;
  rec.on('closed', () => closedEvents++);
  await sleep(100); // the test: record a moment before the ports close
  a.close();
  t.equal(closedEvents, 0, 'one port left: still recording');
  b.close();
  t.equal(closedEvents, 1, 'closed once both are gone');
  rec.stop();
  t.equal(closedEvents, 1, 'stop after close is a no-op');
});

t.test('bad arguments throw', async (t) => {
  t.throws(() => new Recorder(join(dir, 'x.wav'), [], { sampleRate: 8000 }));
  t.throws(() => new Recorder(join(dir, 'y.wav'), [new FakePort('a', 8000)], { sampleRate: 0 }));
  t.throws(() => new Recorder(join(dir, 'no-such-dir', 'z.wav'), [new FakePort('a', 8000)], { sampleRate: 8000 }));
});

t.test('recording ports that are already closed ends at once with an empty, valid file', async (t) => {
  const path = join(dir, 'dead.wav');
  const a = new FakePort('a', 8000);
  a.close();
  const rec = new Recorder(path, [a], { sampleRate: 8000 });
  const [info] = await once(rec, 'closed');
  t.ok(info.durationMs <= 40, `nothing recorded (${info.durationMs} ms)`);
  t.equal(readWav(path).channels, 1);
});
