/**
 * Aurion's visitor chat over real HTTP and a real WebSocket client: sessions opened with HMAC-signed
 * email tokens (the README's shell recipe run as written), the allow-list, messages and their
 * history, the socket's fan-out of visitor messages and agents' replies, revocation and expiry, the
 * project's side (scopes, agents), and the seed's rate limits.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { WebSocket } from 'ws';
import { json, startTestApi, type TestApi } from '../helpers/api.js';
import { untilOrThrow } from '../helpers/wait.js';
import type { Widget } from '../../src/store/index.js';
import { signEmailToken } from '../../src/widgets/email-token.js';
import { CHAT_LIMITS, type ChatLimits } from '../../src/widgets/visitor-chat.js';

t.setTimeout(90000);

const PAGE = 'http://shop.example:8080';
const README = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'README.md');

/** Rate limits out of the way unless a test is about them. */
const ROOMY = { sessionsPerMinute: 1000, messagesPerMinute: 1000, uploadsPerMinute: 1000 };

async function setup(t: Test, opts: { chatSessionSeconds?: number; chatLimits?: Partial<ChatLimits> } = {}) {
  const api = await startTestApi(t, { chatLimits: ROOMY, ...opts });
  const project = await api.store.projects.create('shop');
  const widget = await chatWidget(api, project.id);
  const { token: all } = await api.store.apiTokens.create(project.id);
  return { api, project, widget, all };
}

async function chatWidget(api: TestApi, projectId: number): Promise<Widget> {
  const w = await api.store.widgets.create(projectId);
  return (await api.store.widgets.update(w.id, { allowedDomains: ['shop.example'], modes: ['voice', 'chat'] }))!;
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const fromPage = (page = PAGE): Record<string, string> => ({ origin: page, referer: `${page}/help` });
const visitor = (token: string, init: RequestInit = {}, page = PAGE): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}`, ...fromPage(page) },
});

async function openSession(api: TestApi, w: Widget, email = 'jane@example.com') {
  const r = await api.fetchJson(
    '/api/v1/widget/session',
    json({ widget_id: w.publicId, email_token: signEmailToken(w.secret, email, inAnHour()), display_name: 'Jane' }, fromPage()),
  );
  if (r.status !== 201) throw new Error(`session: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { session_id: string; token: string; expires_at: string };
}

/** A visitor socket that records its frames and how it closed; `refused` is the HTTP status of a refused upgrade. */
function connect(api: TestApi, token: string, origin: string | null = PAGE) {
  const ws = new WebSocket(`${api.base.replace('http', 'ws')}/api/v1/widget/ws?token=${encodeURIComponent(token)}`, {
    ...(origin ? { origin } : {}),
  });
  const state = {
    ws,
    frames: [] as Record<string, unknown>[],
    refused: 0,
    closed: undefined as number | undefined,
    opened: false,
  };
  ws.on('open', () => {
    state.opened = true;
  });
  ws.on('message', (d) => state.frames.push(JSON.parse(String(d)) as Record<string, unknown>));
  ws.on('unexpected-response', (_req, res) => {
    state.refused = res.statusCode ?? -1;
    ws.terminate();
  });
  ws.on('error', () => undefined);
  ws.on('close', (code) => {
    state.closed = code;
  });
  return state;
}

t.test('the README recipe signs an email_token the server accepts; bad tokens and pages are refused', async (t) => {
  const { api, widget } = await setup(t);
  const readme = readFileSync(README, 'utf8');
  const script = /```sh\n(# email_token: sign a visitor's email[\s\S]*?)```/.exec(readme)?.[1];
  t.ok(script, 'the README has the shell recipe');
  const { stdout } = await promisify(execFile)('bash', ['-c', script ?? 'false'], {
    env: { ...process.env, WIDGET_SECRET: widget.secret, EMAIL: 'Jane.Doe+help@Example.com' },
  });
  const fromShell = stdout.trim();
  // the Node version of the recipe, as the README writes it
  const payload = `${Buffer.from('Jane.Doe+help@Example.com').toString('base64url')}.${inAnHour()}`;
  const fromNode = `${payload}.${createHmac('sha256', widget.secret).update(payload).digest('hex')}`;
  const create = (email_token: string, headers = fromPage(), widget_id = widget.publicId) =>
    api.fetchJson('/api/v1/widget/session', json({ widget_id, email_token, display_name: 'Jane' }, headers));

  for (const [how, token] of [
    ['shell', fromShell],
    ['node', fromNode],
  ] as const) {
    const r = await create(token);
    t.equal(r.status, 201, `the ${how} recipe's token opens a session`);
    t.match(r.body, {
      session_id: /^ws_[A-Za-z0-9_-]{16}$/,
      token: /^wst_[A-Za-z0-9_-]{43}$/,
      expires_at: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    });
    const ttl = Date.parse(r.body.expires_at as string) - Date.now();
    t.ok(ttl > 3500_000 && ttl <= 3600_000, `expires in an hour (${ttl} ms)`);
    t.equal(r.headers.get('access-control-allow-origin'), PAGE);
    const s = await api.store.widgetSessions.findByPublicId(r.body.session_id as string);
    t.equal(s?.email, 'jane.doe+help@example.com', 'the signed email, normalised');
  }

  // what the database holds: the token's SHA-256, never the token
  const db = new Database(join(api.dataDir, 'switchboard.db'), { readonly: true, fileMustExist: true });
  t.teardown(() => db.close());
  const last = (await create(fromNode)).body as { token: string };
  const rows = db.prepare('select token_hash from widget_sessions').all() as { token_hash: string }[];
  t.ok(
    rows.some((r) => r.token_hash === createHash('sha256').update(last.token).digest('hex')),
    'stored as its SHA-256',
  );
  t.notOk(JSON.stringify(rows).includes(last.token), 'and not as itself');

  const other = await chatWidget(api, (await api.store.projects.create('other')).id);
  const refusals: [string, Promise<{ status: number; body: Record<string, unknown> }>, number][] = [
    ["signed with another widget's secret", create(signEmailToken(other.secret, 'jane@example.com', inAnHour())), 401],
    ['expired', create(signEmailToken(widget.secret, 'jane@example.com', Math.floor(Date.now() / 1000) - 5)), 401],
    ['signed for days ahead', create(signEmailToken(widget.secret, 'jane@example.com', inAnHour() + 7 * 86400)), 401],
    [
      'another email in a signed token',
      create(fromNode.replace(/^[^.]+/, Buffer.from('boss@example.com').toString('base64url'))),
      401,
    ],
    ['not a token', create('jane@example.com'), 401],
    ['from a page outside the allowed domains', create(fromNode, fromPage('http://evil.example')), 403],
    ['with no page at all', create(fromNode, {}), 403],
    ['for an unknown widget', create(fromNode, fromPage(), 'wgt_AAAAAAAAAAAAAAAA'), 404],
  ];
  for (const [what, res, status] of refusals) {
    const r = await res;
    t.equal(r.status, status, `${what}: ${status}`);
    t.same(Object.keys(r.body), ['error']);
  }
  t.match((await create('jane@example.com')).body.error, /malformed/);
  const missing = await api.fetchJson(
    '/api/v1/widget/session',
    json({ widget_id: widget.publicId, email_token: fromNode }, fromPage()),
  );
  t.same([missing.status, missing.body], [422, { error: 'display_name: Invalid input: expected string, received undefined' }]);
  await api.store.widgets.update(widget.id, { modes: ['voice'] });
  t.equal((await create(fromNode)).status, 409, 'a voice-only widget takes no chat session');
});

t.test('session creation: the sixth in a minute from one source for one widget is 429 with Retry-After', async (t) => {
  const { api, widget } = await setup(t, { chatLimits: CHAT_LIMITS });
  const other = await chatWidget(api, (await api.store.projects.create('other')).id);
  const create = (w: Widget) =>
    api.fetchJson(
      '/api/v1/widget/session',
      json(
        { widget_id: w.publicId, email_token: signEmailToken(w.secret, 'a@example.com', inAnHour()), display_name: 'A' },
        fromPage(),
      ),
    );
  for (let i = 1; i <= 5; i++) t.equal((await create(widget)).status, 201, `session ${i}`);
  const sixth = await create(widget);
  t.equal(sixth.status, 429);
  const wait = Number(sixth.headers.get('retry-after'));
  t.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
  t.equal((await create(other)).status, 201, "another widget's visitors are counted apart");
});

t.test("messages and history: only the session's own, paged; 60 messages a minute", async (t) => {
  const { api, widget } = await setup(t);
  const jane = await openSession(api, widget, 'jane@example.com');
  const joe = await openSession(api, widget, 'joe@example.com');
  const send = (token: string, body: unknown, page = PAGE) =>
    api.fetchJson('/api/v1/widget/messages', visitor(token, json(body), page));

  t.equal((await api.fetchJson('/api/v1/widget/messages', json({ content: 'hi' }, fromPage()))).status, 401, 'no token');
  t.equal((await send(`wst_${'x'.repeat(43)}`, { content: 'hi' })).status, 401, 'an unknown token');
  t.equal((await send(jane.token, { content: 'hi' }, 'http://evil.example')).status, 403, 'a page outside the allowed domains');
  t.equal((await send(jane.token, { content: '   ' })).status, 422, 'an empty message');
  t.equal((await send(jane.token, { content: 'x'.repeat(4001) })).status, 422, 'an overlong message');

  const first = await send(jane.token, { content: 'I need help resetting my password' });
  t.equal(first.status, 201);
  t.match(first.body, {
    id: Number,
    session_id: jane.session_id,
    sender: 'visitor',
    author: null,
    content: 'I need help resetting my password',
    attachment: null,
  });
  await send(jane.token, { content: 'second' });
  await send(jane.token, { content: 'third' });
  await send(joe.token, { content: "joe's own" });

  const history = async (token: string, q = '') => api.fetchJson(`/api/v1/widget/history${q}`, visitor(token));
  const all = await history(jane.token);
  t.equal(all.status, 200);
  t.same(
    (all.body.messages as { content: string }[]).map((m) => m.content),
    ['I need help resetting my password', 'second', 'third'],
    "jane's history is hers alone, oldest first",
  );
  t.equal(all.body.has_more, false);
  const newest = await history(jane.token, '?limit=2');
  t.same(
    (newest.body.messages as { content: string }[]).map((m) => m.content),
    ['second', 'third'],
  );
  t.equal(newest.body.has_more, true);
  const before = (newest.body.messages as { id: number }[])[0]!.id;
  const older = await history(jane.token, `?limit=2&before=${before}`);
  t.same(
    (older.body.messages as { content: string }[]).map((m) => m.content),
    ['I need help resetting my password'],
  );
  t.equal(older.body.has_more, false);
  const after = await history(jane.token, `?after=${first.body.id as number}`);
  t.same(
    (after.body.messages as { content: string }[]).map((m) => m.content),
    ['second', 'third'],
    'catching up after an id',
  );
  t.same(
    ((await history(joe.token)).body.messages as { content: string }[]).map((m) => m.content),
    ["joe's own"],
  );
  t.equal((await history(jane.token, '?before=1&after=1')).status, 422);
  t.equal((await api.fetchJson('/api/v1/widget/history', { headers: fromPage() })).status, 401);

  t.equal((await history(jane.token, '?before=1&after=1')).status, 422);
});

t.test('messages: sixty a minute per session, then 429 with Retry-After', async (t) => {
  const { api, widget } = await setup(t, { chatLimits: CHAT_LIMITS });
  const jane = await openSession(api, widget, 'jane@example.com');
  const joe = await openSession(api, widget, 'joe@example.com');
  const send = (token: string, content: string) => api.fetchJson('/api/v1/widget/messages', visitor(token, json({ content })));
  const statuses: number[] = [];
  for (let i = 0; i < 60; i++) statuses.push((await send(jane.token, `m${i}`)).status);
  t.same([...new Set(statuses)], [201], 'sixty messages in a minute pass');
  const over = await send(jane.token, 'one too many');
  t.equal(over.status, 429, 'the sixty-first is refused');
  const wait = Number(over.headers.get('retry-after'));
  t.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
  t.equal((await send(joe.token, 'still fine')).status, 201, 'another session is counted apart');
});

t.test('the socket streams new messages and agent replies; revoked and expired sessions are closed and refused', async (t) => {
  const { api, project, widget, all } = await setup(t);
  const jane = await openSession(api, widget, 'jane@example.com');
  const joe = await openSession(api, widget, 'joe@example.com');
  const tab1 = connect(api, jane.token);
  const tab2 = connect(api, jane.token);
  const joes = connect(api, joe.token);
  t.teardown(() => {
    for (const s of [tab1, tab2, joes]) s.ws.terminate();
  });
  await untilOrThrow('the sockets are ready', () => [tab1, tab2, joes].every((s) => s.frames.length === 1));
  t.match(tab1.frames[0], { type: 'ready', session_id: jane.session_id, expires_at: jane.expires_at });

  const posted = await api.fetchJson('/api/v1/widget/messages', visitor(jane.token, json({ content: 'hello?' })));
  t.equal(posted.status, 201);
  await untilOrThrow("both of jane's tabs get her message", () => tab1.frames.length === 2 && tab2.frames.length === 2);
  t.match(tab1.frames[1], {
    type: 'message',
    content: 'hello?',
    sender: 'visitor',
    id: posted.body.id,
    session_id: jane.session_id,
  });

  const agent = await api.store.agents.create({ projectId: project.id, username: 'alice', password: 'x', displayName: 'Alice' });
  const reply = await api.fetchJson(
    `/api/v1/widget/sessions/${jane.session_id}/messages`,
    json({ content: 'I can help you reset your password.', agent_id: agent.id }, { authorization: `Bearer ${all}` }),
  );
  t.equal(reply.status, 201);
  await untilOrThrow('the agent reply reaches the visitor', () => tab1.frames.length === 3 && tab2.frames.length === 3);
  t.match(tab2.frames[2], {
    type: 'message',
    content: 'I can help you reset your password.',
    sender: 'agent',
    author: 'Alice',
  });
  t.equal(joes.frames.length, 1, "another session's socket hears none of it");
  const hist = await api.fetchJson('/api/v1/widget/history', visitor(jane.token));
  t.same(
    (hist.body.messages as { sender: string }[]).map((m) => m.sender),
    ['visitor', 'agent'],
    'the reply is in the history',
  );

  // refusals at the upgrade
  const refusedBy = async (token: string, origin: string | null = PAGE) => {
    const s = connect(api, token, origin);
    await untilOrThrow('the upgrade is answered', () => s.refused !== 0 || s.opened);
    s.ws.terminate();
    return s.refused;
  };
  t.equal(await refusedBy(jane.token, 'http://evil.example'), 403, 'an origin outside the allowed domains');
  t.equal(await refusedBy(jane.token, null), 403, 'no origin');
  t.equal(await refusedBy(`wst_${'y'.repeat(43)}`), 401, 'an unknown token');

  // revocation closes the live sockets within a second and voids the token
  const revokedAt = Date.now();
  const del = await api.fetchJson(`/api/v1/widget/sessions/${jane.session_id}`, {
    method: 'DELETE',
    headers: { 'x-api-key': all },
  });
  t.same([del.status, del.body], [200, { session_id: jane.session_id, status: 'revoked' }]);
  await untilOrThrow("the revoked session's sockets close", () => tab1.closed !== undefined && tab2.closed !== undefined, {
    timeoutMs: 1000,
  });
  t.equal(tab1.closed, 4001, `closed 4001 in ${Date.now() - revokedAt} ms`);
  t.equal(joes.closed, undefined, 'the other session stays open');
  t.equal(await refusedBy(jane.token), 401, 'a revoked token cannot reconnect');
  t.equal((await api.fetchJson('/api/v1/widget/history', visitor(jane.token))).status, 401, 'nor read its history');
  const late = await api.fetchJson(
    `/api/v1/widget/sessions/${jane.session_id}/messages`,
    json({ content: 'anyone?' }, { authorization: `Bearer ${all}` }),
  );
  t.equal(late.status, 409, 'no reply to an ended session');
  const elsewhere = new WebSocket(`${api.base.replace('http', 'ws')}/api/v1/elsewhere`, { origin: PAGE });
  let elsewhereStatus = 0;
  elsewhere.on('unexpected-response', (_req, res) => {
    elsewhereStatus = res.statusCode ?? -1;
    elsewhere.terminate();
  });
  elsewhere.on('error', () => undefined);
  await untilOrThrow('the upgrade elsewhere is answered', () => elsewhereStatus !== 0);
  t.equal(elsewhereStatus, 404, 'no socket on other paths');
  const preflight = await fetch(`${api.base}/api/v1/widget/messages`, {
    method: 'OPTIONS',
    headers: { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
  });
  t.equal(preflight.status, 204, 'a host page may preflight its fetches');
  t.match(preflight.headers.get('access-control-allow-headers'), /authorization/);
  const plain = await api.fetchJson('/api/v1/widget/ws');
  t.equal(plain.status, 426, 'plain HTTP on the socket path is told to upgrade');
});

t.test('an expired session is closed and refused', async (t) => {
  const { api, widget } = await setup(t, { chatSessionSeconds: 1 });
  const s = await openSession(api, widget);
  const sock = connect(api, s.token);
  t.teardown(() => sock.ws.terminate());
  await untilOrThrow('the socket is ready', () => sock.frames.length === 1);
  await untilOrThrow('the socket closes at expiry', () => sock.closed !== undefined, { timeoutMs: 5000 });
  t.equal(sock.closed, 4002);
  t.equal((await api.fetchJson('/api/v1/widget/history', visitor(s.token))).status, 401);
  const again = connect(api, s.token);
  await untilOrThrow('the upgrade is answered', () => again.refused !== 0 || again.opened);
  t.equal(again.refused, 401);
});

t.test("the project's side: sessions listed, replies under scopes, foreign ids 403", async (t) => {
  const { api, project, widget, all } = await setup(t);
  const { token: read } = await api.store.apiTokens.create(project.id, ['voice-widget:read']);
  const { token: write } = await api.store.apiTokens.create(project.id, ['voice-widget:write']);
  const { token: calls } = await api.store.apiTokens.create(project.id, ['calls:write']);
  const jane = await openSession(api, widget, 'jane@example.com');
  const joe = await openSession(api, widget, 'joe@example.com');
  await api.fetchJson('/api/v1/widget/messages', visitor(jane.token, json({ content: 'first' })));
  const other = await api.store.projects.create('other');
  const otherWidget = await chatWidget(api, other.id);
  const stranger = await openSession(api, otherWidget, 'x@example.com');
  const { token: theirs } = await api.store.apiTokens.create(other.id);
  const key = (token: string, init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), 'X-API-Key': token },
  });

  const list = await api.fetchJson('/api/v1/widget/sessions', key(read));
  t.equal(list.status, 200);
  t.same(
    (list.body.sessions as { session_id: string }[]).map((s) => s.session_id),
    [jane.session_id, joe.session_id],
    'ours only, the latest message first',
  );
  t.match((list.body.sessions as unknown[])[0], {
    widget_id: widget.publicId,
    email: 'jane@example.com',
    display_name: 'Jane',
    status: 'active',
    last_message_at: String,
  });
  t.notOk(JSON.stringify(list.body).includes('wst_'), 'no visitor token is shown');
  t.equal((await api.fetchJson(`/api/v1/widget/sessions?widget_id=${widget.publicId}`, key(read))).status, 200);
  t.equal((await api.fetchJson(`/api/v1/widget/sessions?widget_id=${otherWidget.publicId}`, key(read))).status, 403);
  t.equal((await api.fetchJson('/api/v1/widget/sessions', key(calls))).status, 403, 'a key without the widget scopes');
  t.equal((await api.fetchJson('/api/v1/widget/sessions', key(write))).status, 403, 'a write key cannot list');

  const conv = await api.fetchJson(`/api/v1/widget/sessions/${jane.session_id}/messages`, key(read));
  t.same(
    (conv.body.messages as { content: string }[]).map((m) => m.content),
    ['first'],
  );
  const replyAs = (token: string, body: unknown, id = jane.session_id) =>
    api.fetchJson(`/api/v1/widget/sessions/${id}/messages`, key(token, json(body)));
  t.equal((await replyAs(read, { content: 'hi' })).status, 403, 'a read key cannot reply');
  const byName = await replyAs(write, { content: 'Hello from support', author: 'Support' });
  t.match([byName.status, byName.body], [201, { sender: 'agent', author: 'Support', content: 'Hello from support' }]);
  const theirAgent = await api.store.agents.create({ projectId: other.id, username: 'mallory', password: 'x' });
  t.equal((await replyAs(write, { content: 'hi', agent_id: theirAgent.id })).status, 403, "another project's agent");
  t.equal((await replyAs(write, {})).status, 422, 'no content');
  const foreign = await replyAs(write, { content: 'hi' }, stranger.session_id);
  t.same([foreign.status, Object.keys(foreign.body)], [403, ['error']], "another project's session");
  t.equal((await api.fetchJson(`/api/v1/widget/sessions/${jane.session_id}`, key(theirs))).status, 403);
  t.equal((await api.fetchJson(`/api/v1/widget/sessions?status=active`, key(all))).status, 200);
  await api.fetchJson(`/api/v1/widget/sessions/${joe.session_id}`, key(all, { method: 'DELETE' }));
  const active = await api.fetchJson('/api/v1/widget/sessions?status=active', key(all));
  t.same(
    (active.body.sessions as { session_id: string }[]).map((s) => s.session_id),
    [jane.session_id],
    'the ended one is left out',
  );
  const one = await api.fetchJson(`/api/v1/widget/sessions/${joe.session_id}`, key(all));
  t.equal(one.body.status, 'revoked');
});
