/**
 * PLAY of an MP3 and RECORD's end on silence over a real media server: an RTP peer (the phone)
 * hears the MP3's tone, and its tone-then-silence ends a recording that `max_length` alone would
 * have kept going; a caller who keeps talking is recorded up to `max_length`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { FlowEngine } from '../../src/flows/flow-engine.js';
import { readWav } from '../../media/wav.js';
import { peers } from '../media/engine/server-fixture.js';
import { peakFrequency, rms, toneAmplitude } from '../media/unit/spectrum.js';
import { tempDir } from '../calls/phones.js';
import { CallbackServer, FakeTts, type ReceivedRequest, silentLogger } from './flow-fakes.js';
import { PCMU, answeredCall, runFlow } from './media-call.js';

t.setTimeout(120_000);
const toneMp3 = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows/fixtures/tone-1200hz.mp3'));

async function setup(t: { teardown(fn: () => unknown): void }) {
  const dir = tempDir(t, 'flow-media-');
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  const engine = new FlowEngine({ tts: new FakeTts(), dataDir: dir, logger: silentLogger, allowPrivateTargets: true });
  const [peer] = await peers(t, 1);
  return { dir, server, engine, peer: peer! };
}

/** A script that records once, then hangs up. */
function recordThenHangup(server: CallbackServer, params: Record<string, unknown>): void {
  server.routes.set('/rec', (req: ReceivedRequest, res) => {
    const actions =
      req.fields.type === 'init_call'
        ? [{ type: 'RECORD', name: 'message', params: { beep: false, ...params } }]
        : [{ type: 'HANGUP' }];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ actions }));
  });
}

function recordingOf(dir: string, req: ReceivedRequest): { seconds: number; samples: Int16Array } {
  const recordings = req.fields.recordings as { name: string; id: string }[];
  const wav = readWav(join(dir, `flow-${recordings.find((r) => r.name === 'message')!.id}.wav`));
  return { seconds: wav.samples[0]!.length / wav.sampleRate, samples: wav.samples[0]! };
}

t.test('PLAY of an MP3 URL: the phone hears its 1200 Hz tone for its 2 s', async (t) => {
  const { dir, server, engine, peer } = await setup(t);
  server.routes.set('/tone.mp3', (_r, res) => {
    res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(toneMp3);
  });
  server.json('/flow', { actions: [{ type: 'PLAY', params: { url: server.url('/tone.mp3') } }, { type: 'HANGUP' }] });
  const { call, dialog } = await answeredCall(t, peer);
  await runFlow(engine, call, server.url('/flow'), dir);
  const r = await peer.reportWhen((x) => x.packets.length >= 95, { decodeAs: PCMU, pcmRate: 8000, timeoutMs: 10_000 });
  t.ok(r.packets.length >= 95 && r.packets.length <= 115, `about 100 packets for 2 s (${r.packets.length})`);
  const middle = Int16Array.from(r.pcm.slice(4000, 12000));
  const peak = peakFrequency(middle, 8000, 200, 3500);
  t.ok(Math.abs(peak - 1200) <= 15, `the MP3's tone (${peak} Hz), decoded, resampled 44.1 -> 16 -> 8 kHz, PCMU`);
  t.ok(toneAmplitude(middle, 8000, 1200) > 5000, 'at its level');
  t.equal(dialog.byes, 1, 'then the HANGUP');
  t.equal(server.received.filter((x) => x.path === '/tone.mp3').length, 1);
});

t.test('RECORD ends after `timeout` ms of silence: a tone, then the phone goes quiet', async (t) => {
  const { dir, server, engine, peer } = await setup(t);
  recordThenHangup(server, { timeout: 1500, max_length: 30_000 });
  const { call, towardsUs } = await answeredCall(t, peer);
  const run = runFlow(engine, call, server.url('/rec'), dir);
  await server.waitFor('init_call');
  await peer.send({ remote: towardsUs, codec: PCMU, toneHz: 600, durationMs: 1000 });
  const quietFrom = Date.now();
  const next = await server.waitFor('actions_complete', 15_000);
  const after = next.at - quietFrom;
  t.ok(after >= 1200 && after < 6000, `the recording ended ${after} ms after the tone (timeout 1500, max_length 30 s)`);
  await run;
  const rec = recordingOf(dir, next);
  t.ok(rec.seconds >= 2.2 && rec.seconds < 7, `${rec.seconds.toFixed(2)} s recorded: the tone and the silence`);
  const loud = rec.samples.subarray(0, 8000 * 1.2);
  t.ok(toneAmplitude(loud, 8000, 600) > 2000, 'the tone is in the recording');
  const tail = rec.samples.subarray(rec.samples.length - 8000);
  t.ok(rms(tail) < 100, `it ends in silence (rms ${rms(tail).toFixed(0)})`);
});

t.test('a caller who keeps talking is not cut by `timeout`; `max_length` ends the recording', async (t) => {
  const { dir, server, engine, peer } = await setup(t);
  recordThenHangup(server, { timeout: 1000, max_length: 2500 });
  const { call, towardsUs } = await answeredCall(t, peer);
  // The phone talks from before the recording starts until after max_length.
  const talking = peer.send({ remote: towardsUs, codec: PCMU, toneHz: 600, durationMs: 7000 });
  await new Promise((r) => setTimeout(r, 300));
  const run = runFlow(engine, call, server.url('/rec'), dir);
  const next = await server.waitFor('actions_complete', 15_000);
  await run;
  const rec = recordingOf(dir, next);
  t.ok(rec.seconds >= 2.3 && rec.seconds <= 3.5, `${rec.seconds.toFixed(2)} s recorded (max_length 2.5 s)`);
  t.ok(rms(rec.samples.subarray(rec.samples.length - 4000)) > 1000, 'still talking when it ended');
  await talking;
});
