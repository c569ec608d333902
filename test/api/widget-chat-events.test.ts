/**
 * Visitor chat beyond the API's own answers: each visitor message is the signed webhook event
 * `widget_message.received` (checked by a real receiver on 127.0.0.1 with the seed's verify recipe),
 * and attachments live only as long as their session (revoked by the project, or expired), files
 * and rows alike, as do files left with no row.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { json, startTestApi, type TestApi } from '../helpers/api.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { untilOrThrow } from '../helpers/wait.js';
import { startDispatcher } from '../events/harness.js';
import type { Widget } from '../../src/store/index.js';
import { signEmailToken } from '../../src/widgets/email-token.js';

t.setTimeout(90000);

const PAGE = 'https://help.shop.example';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const LIMITS = { sessionsPerMinute: 1000, messagesPerMinute: 1000, uploadsPerMinute: 1000 };

async function setup(t: Test, opts: Parameters<typeof startTestApi>[1] = {}) {
  const api = await startTestApi(t, { chatLimits: LIMITS, ...opts });
  const project = await api.store.projects.create('shop');
  const w = await api.store.widgets.create(project.id);
  const widget = (await api.store.widgets.update(w.id, { allowedDomains: ['*.shop.example'], modes: ['voice', 'chat'] }))!;
  const { token: projectToken } = await api.store.apiTokens.create(project.id);
  return { api, project, widget, projectToken };
}

async function openSession(api: TestApi, w: Widget, email: string): Promise<{ token: string; id: string }> {
  const r = await api.fetchJson(
    '/api/v1/widget/session',
    json(
      {
        widget_id: w.publicId,
        email_token: signEmailToken(w.secret, email, Math.floor(Date.now() / 1000) + 600),
        display_name: 'Jane Smith',
      },
      { origin: PAGE },
    ),
  );
  if (r.status !== 201) throw new Error(`session: ${r.status} ${JSON.stringify(r.body)}`);
  return { token: r.body.token as string, id: r.body.session_id as string };
}

const as = (token: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}`, origin: PAGE },
});

function upload(api: TestApi, token: string, bytes: Buffer, name: string) {
  const fd = new FormData();
  fd.append('file', new Blob([bytes], { type: 'image/png' }), name);
  return api.fetchJson('/api/v1/widget/uploads', as(token, { method: 'POST', body: fd }));
}

const uploadsDir = (api: TestApi): string => join(api.dataDir, 'widget-uploads');
const stored = (api: TestApi): string[] => (existsSync(uploadsDir(api)) ? readdirSync(uploadsDir(api)) : []);

/** The seed's Node verify snippet, as a receiver writes it. */
function seedVerify(rawBody: string, header: string, secret: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('='))) as { t: string; v1: string };
  const expected = createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest('hex');
  return expected.length === parts.v1.length && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}

t.test('a visitor message is the signed webhook event widget_message.received; agent replies are not', async (t) => {
  const { api, project, widget, projectToken } = await setup(t, { allowPrivateWebhookTargets: true });
  startDispatcher(t, api.store);
  const receiver = await WebhookReceiver.start(t);
  const hook = await api.store.webhooks.create(project.id, { url: receiver.url, events: ['widget_message.received'] });
  const all = await WebhookReceiver.start(t);
  await api.store.webhooks.create(project.id, { url: all.url });
  const other = await api.store.projects.create('other');
  const theirs = await WebhookReceiver.start(t);
  await api.store.webhooks.create(other.id, { url: theirs.url });

  const jane = await openSession(api, widget, 'jane@example.com');
  const sent = await api.fetchJson(
    '/api/v1/widget/messages',
    as(jane.token, json({ content: 'I need help resetting my password' })),
  );
  t.equal(sent.status, 201);
  const [d] = await receiver.until((ds) => ds.length >= 1);
  t.equal(d!.envelope.type, 'widget_message.received');
  t.match(d!.envelope.id, /^evt_/);
  t.match(d!.envelope.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.same(d!.envelope.data, {
    id: sent.body.id,
    session_id: jane.id,
    widget_id: widget.publicId,
    sender: 'visitor',
    content: 'I need help resetting my password',
    attachment: null,
    created_at: sent.body.created_at,
    visitor: { email: 'jane@example.com', display_name: 'Jane Smith' },
  });
  const sig = d!.headers['switchboard-signature'] as string;
  t.match(sig, /^t=\d+,v1=[0-9a-f]{64}$/);
  t.ok(seedVerify(d!.body, sig, hook.secret), "the seed's verify recipe accepts the signature");
  t.equal(d!.headers['phonevoice-signature'], sig, 'the same value under the seed header');
  t.notOk(seedVerify(d!.body, sig, 'whsec_wrong'), 'another secret does not verify');
  t.notOk(seedVerify(d!.body.replace('resetting', 'r3setting'), sig, hook.secret), 'a changed body does not verify');

  // an agent's reply, then a visitor message with an attachment: only the visitor's message is an event
  const reply = await api.fetchJson(
    `/api/v1/widget/sessions/${jane.id}/messages`,
    json({ content: 'Let me look up your account.', author: 'Support' }, { authorization: `Bearer ${projectToken}` }),
  );
  t.equal(reply.status, 201);
  const up = await upload(api, jane.token, PNG, 'screenshot.png');
  t.equal(up.status, 201);
  const withFile = await api.fetchJson(
    '/api/v1/widget/messages',
    as(jane.token, json({ content: '', attachment_id: up.body.upload_id })),
  );
  t.equal(withFile.status, 201);
  const ds = await receiver.until((x) => x.length >= 2);
  t.same(
    ds[1]!.envelope.data.attachment,
    {
      upload_id: up.body.upload_id,
      file_name: 'screenshot.png',
      content_type: 'image/png',
      size: PNG.length,
      url: `/api/v1/widget/uploads/${up.body.upload_id as string}`,
    },
    'the attachment as the chat API shows it',
  );
  t.ok(seedVerify(ds[1]!.body, ds[1]!.headers['switchboard-signature'] as string, hook.secret));
  const everything = await all.until((x) => x.length >= 2);
  t.same(
    everything.map((x) => [x.envelope.type, x.envelope.data.sender]),
    [
      ['widget_message.received', 'visitor'],
      ['widget_message.received', 'visitor'],
    ],
    'a webhook with every event gets the visitor messages, and nothing for the agent reply',
  );
  t.equal(theirs.deliveries.length, 0, "another project's webhook hears nothing");
  // the attempt is logged once its result is stored, just after the receiver answered
  const readLog = () =>
    api.fetchJson(`/api/v1/webhooks/${hook.id}/calls`, { headers: { authorization: `Bearer ${projectToken}` } });
  await untilOrThrow('both attempts logged', async () => ((await readLog()).body.calls as unknown[]).length >= 2);
  const log = await readLog();
  t.equal(log.status, 200);
  t.same(
    (log.body.calls as { type: string; status_code: number }[]).map((a) => [a.type, a.status_code]),
    [
      ['widget_message.received', 200],
      ['widget_message.received', 200],
    ],
    'the delivery log lists both deliveries',
  );
});

t.test("a session's attachments are deleted with it: revoked by the project", async (t) => {
  const { api, projectToken, widget } = await setup(t);
  const jane = await openSession(api, widget, 'jane@example.com');
  const joe = await openSession(api, widget, 'joe@example.com');
  const mine = await upload(api, jane.token, PNG, 'a.png');
  const kept = await upload(api, joe.token, PNG, 'b.png');
  t.equal(mine.status, 201);
  t.equal(kept.status, 201);
  t.equal(
    (
      await api.fetchJson(
        '/api/v1/widget/messages',
        as(jane.token, json({ content: 'see this', attachment_id: mine.body.upload_id })),
      )
    ).status,
    201,
  );
  t.equal(stored(api).length, 2, 'two files under DATA_DIR/widget-uploads');
  const asProject = { headers: { authorization: `Bearer ${projectToken}` } };
  t.equal((await fetch(`${api.base}/api/v1/widget/uploads/${mine.body.upload_id as string}`, asProject)).status, 200);

  const del = await api.fetchJson(`/api/v1/widget/sessions/${jane.id}`, { ...asProject, method: 'DELETE' });
  t.equal(del.status, 200);
  const left = stored(api);
  t.equal(left.length, 1, "the revoked session's file is gone from DATA_DIR");
  const joeUpload = await api.store.widgetUploads.findByPublicId(kept.body.upload_id as string);
  t.same(left, [joeUpload!.storageName], "the other session's file stays");
  t.equal(await api.store.widgetUploads.findByPublicId(mine.body.upload_id as string), undefined, 'and its row');
  t.equal(
    (await fetch(`${api.base}/api/v1/widget/uploads/${mine.body.upload_id as string}`, asProject)).status,
    404,
    'the project can no longer download it',
  );
  const history = await api.fetchJson(`/api/v1/widget/sessions/${jane.id}/messages`, asProject);
  t.same(
    (history.body.messages as { content: string; attachment: unknown }[]).map((m) => [m.content, m.attachment]),
    [['see this', null]],
    'the conversation keeps its text, without the attachment',
  );
  t.equal((await fetch(`${api.base}/api/v1/widget/uploads/${kept.body.upload_id as string}`, as(joe.token))).status, 200);
});

t.test("a session's attachments are deleted once it expires, and files with no row are swept", async (t) => {
  const { api, widget } = await setup(t, { chatSessionSeconds: 2, chatSweepMs: 200 });
  const jane = await openSession(api, widget, 'jane@example.com');
  const up = await upload(api, jane.token, PNG, 'a.png');
  t.equal(up.status, 201);
  const row = await api.store.widgetUploads.findByPublicId(up.body.upload_id as string);
  t.ok(row);
  const path = join(uploadsDir(api), row!.storageName);
  t.ok(existsSync(path), 'stored while the session lives');
  // a file no row names (its project was deleted), old enough not to be an upload in progress,
  // and a fresh one that may be
  const orphan = join(uploadsDir(api), 'ab'.repeat(16));
  writeFileSync(orphan, PNG);
  const old = (Date.now() - 3600_000) / 1000;
  utimesSync(orphan, old, old);
  const fresh = join(uploadsDir(api), 'cd'.repeat(16));
  writeFileSync(fresh, PNG);
  const notOurs = join(uploadsDir(api), 'README');
  writeFileSync(notOurs, 'a file the store never made');
  utimesSync(notOurs, old, old);

  await untilOrThrow('the orphaned file swept', () => !existsSync(orphan), { timeoutMs: 5000 });
  t.ok(existsSync(path), 'the live session keeps its file meanwhile');
  t.ok(existsSync(fresh), 'a fresh file with no row may be an upload in progress: kept');
  t.ok(existsSync(notOurs), 'a name the store never makes is not touched');
  await untilOrThrow("the expired session's file removed", () => !existsSync(path), { timeoutMs: 8000 });
  t.equal(await api.store.widgetUploads.findByPublicId(up.body.upload_id as string), undefined, 'and its row');
  t.equal((await api.fetchJson('/api/v1/widget/history', as(jane.token))).status, 401, 'the expired session itself is refused');
});
