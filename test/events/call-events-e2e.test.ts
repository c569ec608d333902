/**
 * A real SIP call (two baresip phones, recorded) reported by webhooks. The production call-record
 * writer (src/calls/call-records.ts) is being built on another branch, so this test drives the
 * store from the call's own events with a minimal TEST-ONLY driver doing what that writer does:
 * every status change through `store.calls.updateStatus`, the final WAV through `setRecording`.
 * What is asserted is this branch's part: the outbox, the signed deliveries, the recording link.
 */
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestPlatform } from '../helpers/platform.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { verifySignature } from '../../src/events/signature.js';
import { readWav } from '../../media/wav.js';
import { peakFrequency } from '../media/unit/spectrum.js';
import { dialAndWait, registeredPhone, sleep, tempDir, toneWav } from '../calls/phones.js';
import type { Call } from '../../src/calls/call.js';

t.setTimeout(90000);

t.test('a recorded phone call fires started, completed, then completed with a recording_url holding both sides', async (t) => {
  const dir = tempDir(t, 'events-e2e-');
  const tp = await startTestPlatform(t, { users: ['alice', 'bob'], config: { recording: { enabled: true }, webhooks: { allowPrivateTargets: true } } });
  const store = tp.platform.store;
  const receiver = await WebhookReceiver.start(t);
  const project = await store.projects.create('acme');
  const hook = await store.webhooks.create(project.id, { url: receiver.url });

  // TEST-ONLY stand-in for h-api's call-record writer.
  let chain = Promise.resolve();
  const serial = (fn: () => Promise<unknown>) => { chain = chain.then(fn).then(() => undefined, (err: unknown) => { t.fail(String(err)); }); };
  tp.platform.calls.on('added', (call: Call) => {
    let id = 0;
    serial(async () => {
      id = (await store.calls.insert({ projectId: project.id, direction: 'inbound', from: call.from, to: call.to })).id;
      if (call.status !== 'queued') await store.calls.updateStatus(id, { status: call.status });
    });
    call.on('status', (s) => serial(() => store.calls.updateStatus(id, { status: s.status, sipStatus: s.sipStatus, reason: s.reason })));
    call.on('ended', () => serial(async () => {
      const path = join(tp.dataDir, 'recordings', `${call.id}.wav`);
      const until = Date.now() + 10000;
      // The recorder finishes the header on stop.
      while (Date.now() < until) {
        try { if (existsSync(path) && (readWav(path).samples[0]?.length ?? 0) > 8000 * 2) break; } catch { /* not yet */ }
        await sleep(100);
      }
      await store.calls.setRecording(id, path);
    }));
  });

  const alice = await registeredPhone(t, tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 1000) });
  await registeredPhone(t, tp, 'bob', { codecs: ['PCMU'], wav: toneWav(dir, 600), autoAnswer: true });
  const next = tp.nextCall();
  await dialAndWait(alice, tp, 'bob');
  await next;
  await sleep(2500);
  await alice.hangup();

  const got = await receiver.until((d) => d.length >= 3, 30000);
  t.same(got.map((d) => d.envelope.type), ['phone_call.started', 'phone_call.completed', 'phone_call.completed']);
  for (const d of got) t.ok(verifySignature(hook.secret, d.body, d.headers['switchboard-signature'] as string, 300), `${d.envelope.type} signed`);
  t.match(got[1]!.envelope.data, { status: 'completed', recording_url: null, duration: Number });
  const url = got[2]!.envelope.data.recording_url as string;
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/recordings\/\d+\.wav\?exp=\d+&sig=[0-9a-f]{64}$/);
  const res = await fetch(url);
  t.equal(res.status, 200, 'the link is served by the platform');
  const fetched = join(dir, 'fetched.wav');
  writeFileSync(fetched, Buffer.from(await res.arrayBuffer()));
  const wav = readWav(fetched);
  t.equal(wav.channels, 2, 'one channel per side');
  const mid = (ch: number) => wav.samples[ch]!.subarray(wav.sampleRate * 0.5, wav.sampleRate * 1.5);
  t.equal(peakFrequency(mid(0), wav.sampleRate, 100, 3500), 1000, 'left: the caller\'s tone');
  t.equal(peakFrequency(mid(1), wav.sampleRate, 100, 3500), 600, 'right: the callee\'s tone');
  t.equal((await fetch(url.replace(/exp=\d+/, 'exp=9999999999'))).status, 403, 'a stretched expiry breaks the signature');
});
