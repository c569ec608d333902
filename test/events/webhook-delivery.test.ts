/**
 * Webhooks end to end below the call layer: call status changes written through the store's call
 * repository reach a real HTTP receiver on 127.0.0.1, signed so that the seed's own Node and
 * Python verify snippets accept them; failures are retried with the same event id and logged.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, json } from '../helpers/api.js';
import { WebhookReceiver, type Delivery } from '../helpers/webhook-receiver.js';
import { startDispatcher } from './harness.js';
import { seedVerify } from './seed-verify.js';
import { RecordingLinks } from '../../src/events/recording-links.js';
import type { Store } from '../../src/store/index.js';

/** Outbox counts once `delivered` deliveries are recorded (the receiver sees a POST before its result is stored). */
async function settled(store: Store): Promise<Record<string, number>> {
  const deadline = Date.now() + 10000;
  let c = await store.outbox.counts();
  while (c.pending > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    c = await store.outbox.counts();
  }
  return c;
}

t.test('call events reach a receiver in order, signed so the seed snippets verify them', async (t) => {
  const links = new RecordingLinks({ publicUrl: 'http://127.0.0.1:1', secret: 'k'.repeat(32), ttlSeconds: 600 });
  const api = await startTestApi(t, { allowPrivateWebhookTargets: true, recordingLinks: links });
  const receiver = await WebhookReceiver.start(t);
  const project = await api.store.projects.create('acme');
  const { token } = await api.store.apiTokens.create(project.id);
  const auth = { authorization: `Bearer ${token}` };
  const created = await api.fetchJson('/api/v1/webhooks', json({ url: receiver.url, name: 'CRM' }, auth));
  t.equal(created.status, 201);
  const secret = created.body.secret as string;
  t.match(secret, /^whsec_[A-Za-z0-9_-]{40,}$/, 'the secret is answered once, on creation');
  t.same(created.body.events, ['*'], 'no events means all');
  const listed = await api.fetchJson('/api/v1/webhooks', { headers: auth });
  t.notOk(JSON.stringify(listed.body).includes(secret), 'the list never shows the secret');
  startDispatcher(t, api.store, { links });

  const num = await api.store.numbers.assign(project.id, '+33159133354', { kind: 'forward', forwardTo: '+33612345678' });
  const call = await api.store.calls.insert({
    projectId: project.id,
    direction: 'inbound',
    from: '+33783484044',
    to: '+33612345678',
    numberId: num.id,
  });
  await api.store.calls.updateStatus(call.id, { status: 'ringing' });
  await api.store.calls.updateStatus(call.id, { status: 'in-progress' });
  await api.store.calls.updateStatus(call.id, { status: 'completed', sipStatus: 200 });
  const dir = mkdtempSync(join(tmpdir(), 'sb-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const wav = join(dir, `${call.id}.wav`);
  writeFileSync(wav, Buffer.from('RIFF....WAVEfmt '));
  await api.store.calls.setRecording(call.id, wav);

  const got = await receiver.until((d) => d.length >= 3);
  t.same(
    got.map((d) => d.envelope.type),
    ['phone_call.started', 'phone_call.completed', 'phone_call.completed'],
    "one call's events in order; ringing fires nothing",
  );
  t.equal(new Set(got.map((d) => d.envelope.id)).size, 3, 'each event has its own id');
  for (const d of got) {
    t.match(d.envelope, { id: /^evt_[0-9a-f]{32}$/, created_at: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ });
    t.equal(d.headers['content-type'], 'application/json');
    t.equal(d.headers['switchboard-signature'], d.headers['phonevoice-signature'], 'both header names carry the same signature');
  }
  t.match(got[0]!.envelope.data, {
    id: call.id,
    status: 'in-progress',
    direction: 'inbound',
    from: '+33783484044',
    to: '+33612345678',
    relay_number: '+33159133354',
    cost: 0,
    recording_url: null,
    transcription: null,
    analysis: null,
  });
  t.match(got[1]!.envelope.data, { id: call.id, status: 'completed', recording_url: null });
  t.same(Object.keys(got[1]!.envelope.data).sort(), [
    'analysis',
    'cost',
    'direction',
    'duration',
    'from',
    'id',
    'recording_url',
    'relay_number',
    'status',
    'to',
    'transcription',
  ]);
  const recUrl = got[2]!.envelope.data.recording_url as string;
  t.match(
    recUrl,
    new RegExp(`^http://127\\.0\\.0\\.1:1/recordings/${call.id}\\.wav\\?exp=\\d+&sig=[0-9a-f]{64}$`),
    'the re-fired completed carries a signed recording link',
  );

  // The link is served by us; a tampered or unsigned one is refused.
  const path = recUrl.replace('http://127.0.0.1:1', '');
  const ok = await fetch(api.base + path);
  t.equal(ok.status, 200);
  t.equal(ok.headers.get('content-type'), 'audio/wav');
  t.equal(Buffer.from(await ok.arrayBuffer()).toString(), 'RIFF....WAVEfmt ');
  const flipped = path.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  t.equal((await fetch(api.base + flipped)).status, 403, 'a tampered signature is refused');
  t.equal((await fetch(`${api.base}/recordings/${call.id}.wav`)).status, 403);
  const expired = new RecordingLinks({ publicUrl: '', secret: 'k'.repeat(32), ttlSeconds: 60 }).url(
    call.id,
    Date.now() - 3600_000,
  );
  t.equal((await fetch(api.base + expired)).status, 403, 'an expired link is refused');

  for (const d of got) {
    const header = d.headers['switchboard-signature'] as string;
    t.equal(seedVerify('node', d.body, header, secret), 'valid', "the seed's Node snippet accepts it");
    t.equal(seedVerify('python3', d.body, header, secret), 'valid', "the seed's Python snippet accepts it");
  }
  const tampered = got[1]!.body.replace('"completed"', '"failed"');
  const h = got[1]!.headers['switchboard-signature'] as string;
  t.equal(seedVerify('node', tampered, h, secret), 'invalid', 'a tampered body fails the Node snippet');
  t.equal(seedVerify('python3', tampered, h, secret), 'invalid', 'a tampered body fails the Python snippet');
  t.equal(seedVerify('python3', got[1]!.body, h, 'whsec_wrong'), 'invalid', 'another secret fails');

  // A final call changes no more and fires nothing more.
  t.equal(await api.store.calls.updateStatus(call.id, { status: 'failed' }), false);
});

t.test('500, 500, 200: the event arrives three times with the same id; the log shows each attempt', async (t) => {
  const api = await startTestApi(t, { allowPrivateWebhookTargets: true });
  const receiver = await WebhookReceiver.start(t);
  receiver.script = [500, 500, 200];
  const project = await api.store.projects.create('acme');
  const { token } = await api.store.apiTokens.create(project.id);
  const auth = { authorization: `Bearer ${token}` };
  const created = await api.fetchJson('/api/v1/webhooks', json({ url: receiver.url, events: ['phone_call.busy'] }, auth));
  startDispatcher(t, api.store);
  const call = await api.store.calls.insert({
    projectId: project.id,
    direction: 'outbound',
    from: '+14155550100',
    to: '+14155550111',
  });
  await api.store.calls.updateStatus(call.id, { status: 'in-progress' });
  const other = await api.store.calls.insert({
    projectId: project.id,
    direction: 'outbound',
    from: '+14155550100',
    to: '+14155550112',
  });
  await api.store.calls.updateStatus(other.id, { status: 'busy', sipStatus: 486 });

  const got = await receiver.until((d) => d.length >= 3);
  t.same(
    got.map((d) => d.envelope.type),
    ['phone_call.busy', 'phone_call.busy', 'phone_call.busy'],
    'only the subscribed type',
  );
  t.equal(new Set(got.map((d) => d.envelope.id)).size, 1, 'the same id every time');
  t.equal(got[0]!.body, got[2]!.body, 'the same body');
  t.ok(got[1]!.at - got[0]!.at >= 100 && got[2]!.at - got[1]!.at >= got[1]!.at - got[0]!.at - 150, 'backoff between attempts');
  let log: {
    calls: {
      attempt: number;
      status_code: number;
      event_id: string;
      type: string;
      duration_ms: number;
      error: string | null;
      created_at: string;
    }[];
  };
  const deadline = Date.now() + 10000;
  do {
    log = (await api.fetchJson(`/api/v1/webhooks/${created.body.id as number}/calls`, { headers: auth })).body as typeof log;
  } while (log.calls.length < 3 && Date.now() < deadline && (await new Promise((r) => setTimeout(r, 50, true))));
  t.same(
    log.calls.map((c) => [c.attempt, c.status_code]),
    [
      [3, 200],
      [2, 500],
      [1, 500],
    ],
    'newest first, all three attempts',
  );
  t.match(log.calls[1], {
    event_id: got[0]!.envelope.id,
    type: 'phone_call.busy',
    error: 'HTTP 500',
    duration_ms: Number,
    created_at: String,
  });
  t.same(await settled(api.store), { pending: 0, delivered: 1, failed: 0 });
});

t.test('after the retry window a failing delivery is marked failed and the next event of the call goes', async (t) => {
  const api = await startTestApi(t, { allowPrivateWebhookTargets: true });
  const receiver = await WebhookReceiver.start(t);
  receiver.script = Array(50).fill(503) as number[];
  const allow = () => {
    receiver.script = [];
  };
  const project = await api.store.projects.create('acme');
  await api.store.webhooks.create(project.id, { url: receiver.url });
  startDispatcher(t, api.store, { retryWindowMs: 250 });
  const call = await api.store.calls.insert({ projectId: project.id, direction: 'inbound' });
  await api.store.calls.updateStatus(call.id, { status: 'in-progress' });
  await receiver.until((d) => d.length >= 2);
  const deadline = Date.now() + 10000;
  while ((await api.store.outbox.counts()).failed === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  allow();
  await api.store.calls.updateStatus(call.id, { status: 'completed' });
  const got = await receiver.until((d) => d.some((x) => x.envelope.type === 'phone_call.completed'));
  t.equal(got[0]!.envelope.type, 'phone_call.started');
  t.equal(got.at(-1)!.envelope.type, 'phone_call.completed', 'completed only after started was given up');
  t.same(await settled(api.store), { pending: 0, delivered: 1, failed: 1 });
});

t.test('a receiver on a private or loopback address is refused unless allowed', async (t) => {
  const api = await startTestApi(t);
  const receiver = await WebhookReceiver.start(t);
  const project = await api.store.projects.create('acme');
  const { token } = await api.store.apiTokens.create(project.id);
  const auth = { authorization: `Bearer ${token}` };
  for (const url of [
    receiver.url,
    'http://localhost:9/x',
    'http://10.1.2.3/x',
    'http://[::1]:80/x',
    'http://169.254.169.254/latest',
    'http://[::ffff:127.0.0.1]/',
    'http://0.0.0.0/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://224.0.0.1/',
    'http://100.64.0.1/',
    'http://user:pw@93.184.216.34/',
    'ftp://example.com/',
  ]) {
    const r = await api.fetchJson('/api/v1/webhooks', json({ url }, auth));
    t.equal(r.status, 422, `${url} refused`);
    t.match(r.body.error, /^url: /);
  }
  const pub = await api.fetchJson('/api/v1/webhooks', json({ url: 'https://93.184.216.34/hooks' }, auth));
  t.equal(pub.status, 201, 'a public address is accepted');
  await api.store.webhooks.delete(pub.body.id as number);
  // Saved anyway (an operator toggling the setting, or DNS changing later): refused at delivery too.
  const hook = await api.store.webhooks.create(project.id, { url: receiver.url });
  startDispatcher(t, api.store, { allowPrivateTargets: false });
  const call = await api.store.calls.insert({ projectId: project.id, direction: 'inbound' });
  await api.store.calls.updateStatus(call.id, { status: 'canceled' });
  const deadline = Date.now() + 10000;
  let attempts = await api.store.webhooks.attempts(hook.id);
  while (!attempts.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    attempts = await api.store.webhooks.attempts(hook.id);
  }
  t.match(attempts[0], { type: 'phone_call.canceled', statusCode: null, error: /private or loopback/ });
  t.equal(receiver.deliveries.length, 0, 'nothing reached the loopback receiver');
});

t.test('webhook CRUD: PATCH url/name/events/active, DELETE; a paused webhook holds its deliveries', async (t) => {
  const api = await startTestApi(t, { allowPrivateWebhookTargets: true });
  const receiver = await WebhookReceiver.start(t);
  const project = await api.store.projects.create('acme');
  const { token } = await api.store.apiTokens.create(project.id);
  const auth = { authorization: `Bearer ${token}` };
  const c = (await api.fetchJson('/api/v1/webhooks', json({ url: 'http://127.0.0.1:9/old', events: ['sms.received'] }, auth)))
    .body;
  const bad = await api.fetchJson('/api/v1/webhooks', json({ url: receiver.url, events: ['Not A Type'] }, auth));
  t.equal(bad.status, 422);
  t.match(bad.body.error, /^events\.0: /);
  const patch = (body: unknown) => api.fetchJson(`/api/v1/webhooks/${c.id as number}`, { ...json(body, auth), method: 'PATCH' });
  const p = await patch({ url: receiver.url, name: 'renamed', events: ['phone_call.completed'], active: false });
  t.equal(p.status, 200);
  t.match(p.body, { url: receiver.url, name: 'renamed', events: ['phone_call.completed'], active: false });
  t.notOk('secret' in p.body);
  startDispatcher(t, api.store, { pollMs: 100 });
  const call = await api.store.calls.insert({ projectId: project.id, direction: 'inbound' });
  await api.store.calls.updateStatus(call.id, { status: 'in-progress' });
  t.equal(await api.store.calls.updateStatus(call.id, { status: 'completed' }), true);
  t.same(await api.store.outbox.counts(), { pending: 0, delivered: 0, failed: 0 }, 'an inactive webhook gets no deliveries');
  await patch({ active: true });
  const call2 = await api.store.calls.insert({ projectId: project.id, direction: 'inbound' });
  await api.store.calls.updateStatus(call2.id, { status: 'completed' });
  const got = await receiver.until((d: Delivery[]) => d.length >= 1);
  t.same(
    got.map((d) => [d.envelope.type, d.envelope.data.id]),
    [['phone_call.completed', call2.id]],
  );
  const del = await api.fetchJson(`/api/v1/webhooks/${c.id as number}`, { method: 'DELETE', headers: auth });
  t.same([del.status, del.body], [200, { status: 'deleted', id: c.id }]);
  t.equal((await api.fetchJson(`/api/v1/webhooks/${c.id as number}/calls`, { headers: auth })).status, 404);
  t.same((await api.fetchJson('/api/v1/webhooks', { headers: auth })).body, { webhooks: [] });
  for (let i = 0; i < 20; i++)
    t.equal((await api.fetchJson('/api/v1/webhooks', json({ url: `${receiver.url}/${i}` }, auth))).status, 201);
  const over = await api.fetchJson('/api/v1/webhooks', json({ url: receiver.url }, auth));
  t.same([over.status, over.body], [422, { error: 'url: at most 20 webhooks per project' }], 'webhooks per project are bounded');
});
