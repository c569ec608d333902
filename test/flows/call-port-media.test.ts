/**
 * The call port over a real Call, Leg and media session: PCM written from the main thread reaches
 * an RTP peer as audio, a stop cuts it short, the peer's RFC 4733 key presses reach the flow, and
 * a whole flow (callback server, flite, media) speaks to the peer.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Call } from '../../src/calls/call.js';
import { Leg } from '../../src/calls/leg.js';
import { AnsweredParty } from '../../src/calls/caller-invite.js';
import { runHandler } from '../../src/calls/handlers/handler.js';
import type { SipDialog, SipDialogEvents } from '../../src/calls/ports.js';
import { CallFlowPort } from '../../src/flows/call-port.js';
import { FlowEngine, initialRequest } from '../../src/flows/flow-engine.js';
import { FliteProvider } from '../../src/speech/flite-provider.js';
import { CachedTtsProvider } from '../../src/speech/tts-cache.js';
import type { PcmChunk } from '../../src/speech/tts.js';
import type { CodecSpec } from '../../media/types.js';
import { peakFrequency, rms, sine } from '../media/unit/spectrum.js';
import { peerOffer } from '../media/engine/peer-sdp.js';
import { local, peers, sdpPort, startMediaServer } from '../media/engine/server-fixture.js';
import type { RtpPeer } from '../helpers/rtp-peer.js';
import { CallbackServer, silentLogger } from './flow-fakes.js';

const recordingsDir = mkdtempSync(join(tmpdir(), 'flow-rec-'));
t.teardown(() => rmSync(recordingsDir, { recursive: true, force: true }));
const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };

class FakeDialog extends EventEmitter<SipDialogEvents> implements SipDialog {
  readonly callId = 'flow-test';
  readonly remoteSdp = '';
  readonly localSdp = '';
  byes = 0;
  async hangup(): Promise<void> {
    this.byes++;
    this.emit('ended', { by: 'local', reason: 'hangup' });
  }
}

/** An answered call whose caller leg is an RTP endpoint talking PCMU to `peer`. */
async function answeredCall(t: Teardown, peer: RtpPeer) {
  const ms = await startMediaServer(t);
  const session = await ms.createSession();
  const call = new Call({ direction: 'inbound', from: '+19495551212', to: '+17145551212', logger: silentLogger }, session);
  t.teardown(() => call.hangup());
  const ep = await session.createEndpoint('rtp');
  const answer = await ep.answer(peerOffer(peer.port, 'PCMU'));
  const dialog = new FakeDialog();
  const leg = new Leg('caller', dialog, ep, silentLogger);
  call.addLeg(leg);
  call.markAnswered();
  return { call, leg, dialog, towardsUs: local(sdpPort(answer)) };
}
type Teardown = { teardown(fn: () => unknown): void };

async function* tone(hz: number, rate: number, ms: number, chunkMs = 200): AsyncGenerator<PcmChunk> {
  for (let at = 0; at < ms; at += chunkMs) yield { samples: sine(hz, rate, (rate * chunkMs) / 1000, 8000), sampleRate: rate };
}

t.test('PCM written from the main thread plays to the peer; a stop cuts it short', async (t) => {
  const [peer] = await peers(t, 1);
  const { call } = await answeredCall(t, peer!);
  const port = new CallFlowPort(call, call.legs[0]!, recordingsDir);
  const started = Date.now();
  t.equal(await port.play({ pcm: tone(1000, 16000, 1000) }), 'finished');
  const elapsed = Date.now() - started;
  t.ok(elapsed >= 900, `played in real time (${elapsed} ms for 1 s)`);
  const r = await peer!.reportWhen((x) => x.packets.length >= 48, { decodeAs: PCMU, pcmRate: 8000 });
  t.ok(r.packets.length >= 48 && r.packets.length <= 52, `about 50 packets for 1 s (${r.packets.length})`);
  t.ok(Math.abs(peakFrequency(Int16Array.from(r.pcm), 8000, 200, 3000) - 1000) <= 20, 'the 1 kHz tone, resampled 16 -> 8 kHz');

  peer!.reset();
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 300);
  t.equal(await port.play({ pcm: tone(1000, 16000, 5000) }, { signal: stop.signal }), 'stopped');
  await new Promise((res) => setTimeout(res, 300));
  const cut = await peer!.report();
  t.ok(cut.packets.length < 40, `stopped after about 300 ms (${cut.packets.length} packets of a 5 s prompt)`);
});

t.test("the peer's RFC 4733 key presses reach the flow; hangup sends BYE", async (t) => {
  const [peer] = await peers(t, 1);
  const { call, dialog, towardsUs } = await answeredCall(t, peer!);
  const port = new CallFlowPort(call, call.legs[0]!, recordingsDir);
  const digits: string[] = [];
  port.onDigit((d) => digits.push(d));
  await peer!.send({
    remote: towardsUs,
    codec: PCMU,
    toneHz: 440,
    durationMs: 600,
    dtmf: { digit: '7', payloadType: 101, clockRate: 8000, atMs: 100 },
  });
  const deadline = Date.now() + 3000;
  while (digits.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  t.same(digits, ['7']);
  await port.hangup();
  t.ok(port.ended.aborted);
  t.equal(dialog.byes, 1);
  t.equal(call.status, 'completed');
});

t.test('a whole flow: the callback server says hello, the peer hears speech, the call ends with BYE', async (t) => {
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  server.json('/hello.json', {
    actions: [{ type: 'SAY', params: { text: 'Hello, world. This is a test.' } }, { type: 'HANGUP' }],
  });
  const tts = new CachedTtsProvider(new FliteProvider({ workers: 1, logger: silentLogger }), { memoryBytes: 8 * 1024 * 1024 });
  t.teardown(() => tts.close());
  const engine = new FlowEngine({ tts, dataDir: '/nonexistent', logger: silentLogger, allowPrivateTargets: true });
  const [peer] = await peers(t, 1);
  const firstAudio: number[] = [];
  for (let round = 0; round < 2; round++) {
    peer!.reset();
    const { call, dialog } = await answeredCall(t, peer!);
    const port = new CallFlowPort(call, call.legs[0]!, recordingsDir);
    const started = Date.now();
    const run = engine
      .runner(
        port,
        { url: server.url('/hello.json'), method: 'GET', format: 'query' },
        initialRequest(call, { appId: 'app-1', callback: { url: '', method: 'GET', format: 'query' } }),
      )
      .run();
    // First audio after the answer (the runner starts as the call is answered): callback + synthesis + media.
    while ((await peer!.report()).packets.length === 0 && Date.now() - started < 10_000)
      await new Promise((res) => setTimeout(res, 5));
    firstAudio.push(Date.now() - started);
    await run;
    const r = await peer!.reportWhen((x) => x.packets.length >= 50, { decodeAs: PCMU, pcmRate: 8000 });
    t.ok(r.packets.length >= 50, `round ${round}: ${r.packets.length} packets of speech`);
    t.ok(rms(r.pcm) > 300, `round ${round}: speech energy (rms ${Math.round(rms(r.pcm))})`);
    t.equal(dialog.byes, 1, `round ${round}: hung up with BYE after the prompt`);
    t.equal(call.status, 'completed');
    t.same(server.received.filter((x) => x.fields.type === 'call_ended').length, round + 1, 'final callback sent');
  }
  t.ok(
    firstAudio[1]! < 1000,
    `first audio after answer: ${firstAudio[0]} ms (prompt synthesized), ${firstAudio[1]} ms (cached prompt)`,
  );
  t.comment(`first audio after answer: ${firstAudio[0]} ms uncached, ${firstAudio[1]} ms cached`);
});

t.test('RECORD on a real call: the caller is recorded until #, the callback gets the id, the file holds the audio', async (t) => {
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  server.routes.set('/rec', (req, res) => {
    res.end(
      JSON.stringify(
        req.fields.type === 'init_call'
          ? { actions: [{ type: 'RECORD', name: 'message', params: { beep: false, finish_on_key: '#' } }] }
          : { actions: [{ type: 'HANGUP' }] },
      ),
    );
  });
  const tts = new CachedTtsProvider(new FliteProvider({ workers: 1, logger: silentLogger }), { memoryBytes: 1024 * 1024 });
  t.teardown(() => tts.close());
  const engine = new FlowEngine({ tts, dataDir: '/nonexistent', logger: silentLogger, allowPrivateTargets: true });
  const [peer] = await peers(t, 1);
  const { call, towardsUs } = await answeredCall(t, peer!);
  const port = new CallFlowPort(call, call.legs[0]!, recordingsDir);
  const run = engine
    .runner(
      port,
      { url: server.url('/rec'), method: 'POST', format: 'json' },
      initialRequest(call, { appId: 'a', callback: { url: '', method: 'POST', format: 'json' } }),
    )
    .run();
  await server.waitFor('init_call');
  await new Promise((res) => setTimeout(res, 200));
  await peer!.send({
    remote: towardsUs,
    codec: PCMU,
    toneHz: 600,
    durationMs: 1500,
    dtmf: { digit: '#', payloadType: 101, clockRate: 8000, atMs: 1200 },
  });
  const second = await server.waitFor('actions_complete', 5000);
  await run;
  const recordings = second.fields.recordings as { name: string; id: string }[];
  t.equal(recordings.length, 1);
  t.equal(recordings[0]!.name, 'message');
  const size = statSync(join(recordingsDir, `flow-${recordings[0]!.id}.wav`)).size;
  t.ok(size > 44 + 8000, `the recording holds over half a second of audio (${size} bytes)`);
  t.equal(call.status, 'completed');
});

t.test(
  "the integrator's entry point: FlowEngine.handler() run by runHandler answers, runs the app's flow, ends the call",
  async (t) => {
    const server = new CallbackServer();
    await server.start();
    t.teardown(() => server.close());
    server.json('/app', { actions: [{ type: 'PAUSE', params: { length: 100 } }, { type: 'HANGUP' }] });
    const tts = new CachedTtsProvider(new FliteProvider({ workers: 1, logger: silentLogger }), { memoryBytes: 1024 * 1024 });
    t.teardown(() => tts.close());
    const engine = new FlowEngine({ tts, dataDir: '/nonexistent', logger: silentLogger, allowPrivateTargets: true });
    const [peer] = await peers(t, 1);
    const { call, leg, dialog } = await answeredCall(t, peer!);
    const handler = engine.handler(
      { call, caller: new AnsweredParty(leg), recordingsDir },
      {
        appId: 'app-7',
        callback: { url: server.url('/app'), method: 'POST', format: 'form' },
        sessionData: { plan: 'pro' },
      },
    );
    await runHandler(call, handler);
    t.equal(call.status, 'completed');
    t.equal(dialog.byes, 1);
    const init = server.received[0]!;
    t.equal(init.fields.type, 'init_call');
    t.equal(init.fields.app_id, 'app-7');
    t.equal(init.fields.call_id, call.id);
    t.equal(init.fields.caller_no, '+19495551212');
    t.equal(init.fields.caller_no_city, 'Newport Beach', 'number info filled in');
    t.equal(init.fields.api_no, '+17145551212');
    t.equal(init.fields['session_data[plan]'], 'pro');
    t.same(
      server.received.map((r) => r.fields.type),
      ['init_call', 'call_ended'],
    );
  },
);
