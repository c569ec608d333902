import t from 'tap';
import { until } from '../../helpers/wait.js';
import { Mixer } from '../../../media/mixer.js';
import { FakePort } from './fake-port.js';
import { sine, toneAmplitude } from './spectrum.js';

// Parties speak in real time (20 ms frames): these sleeps pace them.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each party speaks its own tone, 20 ms at a time, for `ms`. */
async function talk(parties: { port: FakePort; freq: number }[], ms: number): Promise<void> {
  const phase = new Map<FakePort, number>();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (const { port, freq } of parties) {
      const n = port.pcmRate / 50;
      const start = phase.get(port) ?? 0;
      const f = sine(freq, port.pcmRate, n, 6000, (2 * Math.PI * freq * start) / port.pcmRate);
      phase.set(port, start + n);
      port.hear(f);
    }
    await sleep(20);
  }
}

/** Tone levels (relative to what was sent) in what a port received after `from`. */
function heard(port: FakePort, from: number, freqs: number[]): Record<number, number> {
  const x = port.sentSamples(from);
  const out: Record<number, number> = {};
  for (const f of freqs) out[f] = toneAmplitude(x.subarray(port.pcmRate / 10), port.pcmRate, f) / 6000;
  return out;
}

const A = 500;
const B = 1100;
const C = 1700;

t.test('three parties: each hears the other two, never itself; mixes 8 kHz and 48 kHz ports', async (t) => {
  const mixer = new Mixer();
  t.teardown(() => mixer.close());
  const a = new FakePort('a', 8000);
  const b = new FakePort('b', 48000);
  const c = new FakePort('c', 8000);
  mixer.add(a);
  mixer.add(b);
  mixer.add(c);
  await talk(
    [
      { port: a, freq: A },
      { port: b, freq: B },
      { port: c, freq: C },
    ],
    600,
  );
  for (const [port, own, others] of [
    [a, A, [B, C]],
    [b, B, [A, C]],
    [c, C, [A, B]],
  ] as const) {
    const lv = heard(port, 0, [A, B, C]);
    t.ok(lv[own] < 0.02, `${port.id} does not hear itself (${lv[own].toFixed(3)})`);
    for (const o of others) t.ok(lv[o] > 0.5, `${port.id} hears ${o} Hz (${lv[o].toFixed(2)})`);
    t.ok(
      port.sent.every((f) => f.sampleRate === port.pcmRate && f.samples.length === port.pcmRate / 50),
      `${port.id} gets 20 ms frames at its own rate`,
    );
  }
  t.ok(a.sent.length >= 22 && a.sent.length <= 40, `about one frame per 20 ms (${a.sent.length} in 600 ms)`);
});

t.test('mute and listen-only: hears the others, is not heard; unmute restores', async (t) => {
  const mixer = new Mixer({ sampleRate: 8000 });
  t.teardown(() => mixer.close());
  const a = new FakePort('a', 8000);
  const b = new FakePort('b', 8000);
  const c = new FakePort('c', 8000);
  mixer.add(a, { muted: true });
  mixer.add(b, { listenOnly: true });
  mixer.add(c);
  const parties = [
    { port: a, freq: A },
    { port: b, freq: B },
    { port: c, freq: C },
  ];
  await talk(parties, 500);
  let lc = heard(c, 0, [A, B]);
  t.ok(lc[A] < 0.02 && lc[B] < 0.02, 'c hears neither the muted nor the listen-only party');
  t.ok(heard(a, 0, [C])[C] > 0.5, 'muted party still hears');
  const lb = heard(b, 0, [A, C]);
  t.ok(lb[C] > 0.5 && lb[A] < 0.02, 'listen-only hears c, not the muted a');
  mixer.update('a', {});
  const from = c.sent.length;
  await talk(parties, 500);
  lc = heard(c, from, [A, B]);
  t.ok(lc[A] > 0.5, `after unmute c hears a (${lc[A].toFixed(2)})`);
  t.ok(lc[B] < 0.02, 'still not b');
});

t.test('whisper: heard only by its target', async (t) => {
  const mixer = new Mixer();
  t.teardown(() => mixer.close());
  const agent = new FakePort('agent', 8000);
  const caller = new FakePort('caller', 8000);
  const coach = new FakePort('coach', 48000);
  mixer.add(agent);
  mixer.add(caller);
  mixer.add(coach, { whisperTo: 'agent' });
  await talk(
    [
      { port: agent, freq: A },
      { port: caller, freq: B },
      { port: coach, freq: C },
    ],
    600,
  );
  const toAgent = heard(agent, 0, [B, C]);
  const toCaller = heard(caller, 0, [A, C]);
  const toCoach = heard(coach, 0, [A, B]);
  t.ok(toAgent[B] > 0.5 && toAgent[C] > 0.5, 'agent hears caller and coach');
  t.ok(toCaller[A] > 0.5 && toCaller[C] < 0.02, 'caller hears agent, not the coach');
  t.ok(toCoach[A] > 0.5 && toCoach[B] > 0.5, 'coach hears both');
});

t.test('remove, port close and close() stop all traffic and listeners', async (t) => {
  const mixer = new Mixer();
  const a = new FakePort('a', 8000);
  const b = new FakePort('b', 8000);
  mixer.add(a);
  mixer.add(b);
  await until(() => a.sent.length > 0 && b.sent.length > 0); // the mix is running
  b.close();
  t.equal(mixer.size, 1, 'closed port left the mix');
  t.equal(b.listenerCount('audio'), 0);
  mixer.remove('a');
  t.equal(a.listenerCount('audio'), 0);
  const n = a.sent.length;
  await sleep(100); // the test: frames would show up in this span
  t.equal(a.sent.length, n, 'no frames after removal');
  mixer.close();
  t.throws(() => mixer.add(new FakePort('x', 8000)), 'closed mixer refuses parties');
});
