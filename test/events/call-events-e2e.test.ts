/**
 * A real SIP call (two baresip phones, recorded) reported by webhooks through the production path:
 * the call-record writer (src/calls/call-records.ts) writes each status and the final recording
 * through the store, whose call repository puts the events in the outbox. The receiver gets
 * started, completed, then completed again with a signed recording link whose WAV holds each
 * side's tone on its channel; nothing more, nothing twice.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestPlatform } from '../helpers/platform.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { verifySignature } from '../../src/events/signature.js';
import { readWav } from '../../media/wav.js';
import { peakFrequency } from '../media/unit/spectrum.js';
import { dialAndWait, registeredPhone, settled, sleep, tempDir, toneWav } from '../calls/phones.js';

t.setTimeout(90000);

t.test('a recorded phone call fires started, completed, then completed with a recording_url holding both sides', async (t) => {
  const dir = tempDir(t, 'events-e2e-');
  const tp = await startTestPlatform(t, {
    users: ['alice', 'bob'],
    config: { recording: { enabled: true }, webhooks: { allowPrivateTargets: true } },
  });
  const store = tp.platform.store;
  const receiver = await WebhookReceiver.start(t);
  // The registrar's users are agents of the default project: their calls are its calls.
  const project = await store.projects.first();
  if (!project) throw new Error('no default project');
  const hook = await store.webhooks.create(project.id, { url: receiver.url });

  const alice = await registeredPhone(t, tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 1000) });
  await registeredPhone(t, tp, 'bob', { codecs: ['PCMU'], wav: toneWav(dir, 600), autoAnswer: true });
  const next = tp.nextCall();
  await dialAndWait(alice, tp, 'bob');
  const call = await next;
  const recorded = new Promise((resolve) => call.once('recording', resolve));
  await sleep(2500);
  await alice.hangup();

  const got = await receiver.until((d) => d.length >= 3, 30000);
  await recorded;
  await settled(() => tp.platform.calls.size === 0);
  await tp.platform.records.flushed();
  // Anything delivered twice would be on its way once the outbox has nothing left to send.
  const deadline = Date.now() + 10000;
  while ((await store.outbox.counts()).pending > 0 && Date.now() < deadline) await sleep(50);
  t.same(
    receiver.deliveries.map((d) => d.envelope.type),
    ['phone_call.started', 'phone_call.completed', 'phone_call.completed'],
    'exactly these, in order',
  );
  t.equal(new Set(got.map((d) => d.envelope.id)).size, 3, 'three distinct events');
  for (const d of got)
    t.match(d.envelope.data, { id: call.recordId, direction: 'inbound', from: 'alice', to: 'bob', relay_number: null });
  for (const d of got)
    t.ok(verifySignature(hook.secret, d.body, d.headers['switchboard-signature'] as string, 300), `${d.envelope.type} signed`);
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
  t.equal(peakFrequency(mid(0), wav.sampleRate, 100, 3500), 1000, "left: the caller's tone");
  t.equal(peakFrequency(mid(1), wav.sampleRate, 100, 3500), 600, "right: the callee's tone");
  t.equal((await fetch(url.replace(/exp=\d+/, 'exp=9999999999'))).status, 403, 'a stretched expiry breaks the signature');
});
