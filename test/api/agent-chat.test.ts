/**
 * Visitor chat from the agent softphone's side, over real HTTP and real WebSocket clients: a
 * `voywt_` widget session lists its project's open conversations (never another project's),
 * follows new conversations and messages live on /v1/agent-widget/ws, and replies as its agent
 * (the visitor's socket receives the reply with sender agent and the agent's label), with an
 * attachment it uploaded (each side downloads the other's files; other projects and other
 * conversations cannot). A revoked widget session is refused everywhere and its open socket is
 * closed; replies are limited to 60 a minute per widget session.
 */
import t, { type Test } from 'tap';
import { WebSocket } from 'ws';
import { json, startTestApi, type TestApi } from '../helpers/api.js';
import { untilOrThrow } from '../helpers/wait.js';
import type { Widget } from '../../src/store/index.js';
import { signEmailToken } from '../../src/widgets/email-token.js';

t.setTimeout(90000);

const PAGE = 'http://shop.example:8080';
const fromPage = { origin: PAGE, referer: `${PAGE}/help` };

async function chatWidget(api: TestApi, projectId: number): Promise<Widget> {
  const w = await api.store.widgets.create(projectId);
  return (await api.store.widgets.update(w.id, { allowedDomains: ['shop.example'], modes: ['voice', 'chat'] }))!;
}

async function openVisitor(api: TestApi, w: Widget, email: string, name: string) {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const r = await api.fetchJson(
    '/api/v1/widget/session',
    json({ widget_id: w.publicId, email_token: signEmailToken(w.secret, email, exp), display_name: name }, fromPage),
  );
  if (r.status !== 201) throw new Error(`session: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { session_id: string; token: string };
}

const visitorSays = (api: TestApi, token: string, content: string) =>
  api.fetchJson('/api/v1/widget/messages', json({ content }, { ...fromPage, authorization: `Bearer ${token}` }));

async function mint(api: TestApi, projectToken: string, email: string, displayName: string) {
  const r = await api.fetchJson(
    '/v1/agent-widget/session',
    json({ agentEmail: email, displayName }, { authorization: `Bearer ${projectToken}` }),
  );
  if (r.status !== 201) throw new Error(`mint: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { id: number; token: string; agent: { id: number; label: string } };
}

/** A socket that records its frames, how it closed, and the status of a refused upgrade. */
function follow(t: Test, url: string, origin?: string) {
  const ws = new WebSocket(url, origin ? { origin } : {});
  const state = { ws, frames: [] as Record<string, unknown>[], refused: 0, closed: 0, opened: false };
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
  t.teardown(() => ws.terminate());
  return state;
}

const agentSocket = (t: Test, api: TestApi, token: string, origin?: string) =>
  follow(t, `${api.base.replace('http', 'ws')}/v1/agent-widget/ws?token=${encodeURIComponent(token)}`, origin);
const visitorSocket = (t: Test, api: TestApi, token: string) =>
  follow(t, `${api.base.replace('http', 'ws')}/api/v1/widget/ws?token=${encodeURIComponent(token)}`, PAGE);
const asAgent = (token: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
});

async function setup(t: Test) {
  const api = await startTestApi(t);
  const shop = await api.store.projects.create('shop');
  const other = await api.store.projects.create('other');
  const { token: shopToken } = await api.store.apiTokens.create(shop.id);
  const { token: otherToken } = await api.store.apiTokens.create(other.id);
  return {
    api,
    shopToken,
    shopWidget: await chatWidget(api, shop.id),
    otherWidget: await chatWidget(api, other.id),
    agent: await mint(api, shopToken, 'ann@shop.example', 'Ann Agent'),
    otherAgent: await mint(api, otherToken, 'oz@other.example', 'Oz'),
  };
}

t.test("the softphone follows its project's conversations live and its reply reaches the visitor", async (t) => {
  const { api, shopWidget, otherWidget, agent, otherAgent } = await setup(t);
  const jane = await openVisitor(api, shopWidget, 'jane@example.com', 'Jane');
  const stranger = await openVisitor(api, otherWidget, 'max@example.com', 'Max');

  const list = await api.fetchJson('/v1/agent-widget/conversations', asAgent(agent.token));
  t.equal(list.status, 200);
  t.same(
    (list.body.conversations as { session_id: string }[]).map((c) => c.session_id),
    [jane.session_id],
    "only the project's own conversation is listed",
  );
  t.equal(list.headers.get('cache-control'), 'no-store');

  const mine = agentSocket(t, api, agent.token);
  const theirs = agentSocket(t, api, otherAgent.token);
  const janeWs = visitorSocket(t, api, jane.token);
  await untilOrThrow('the sockets ready', () => [mine, theirs, janeWs].every((s) => s.frames.some((f) => f.type === 'ready')));
  t.match(mine.frames[0], { type: 'ready', agent: { id: agent.agent.id, label: 'Ann Agent' } });

  // a visitor who arrives now is a new conversation on the softphone
  const lee = await openVisitor(api, shopWidget, 'lee@example.com', 'Lee');
  await untilOrThrow('the new conversation', () => mine.frames.some((f) => f.type === 'conversation'));
  t.match(
    mine.frames.find((f) => f.type === 'conversation'),
    {
      conversation: { session_id: lee.session_id, display_name: 'Lee', status: 'active' },
    },
  );

  t.equal((await visitorSays(api, jane.token, 'Is my order shipped?')).status, 201);
  t.equal((await visitorSays(api, stranger.token, 'not for Ann')).status, 201);
  await untilOrThrow("Jane's message on the softphone", () => mine.frames.some((f) => f.type === 'message'));
  t.match(
    mine.frames.find((f) => f.type === 'message'),
    {
      conversation: { session_id: jane.session_id, display_name: 'Jane' },
      message: { sender: 'visitor', content: 'Is my order shipped?', session_id: jane.session_id },
    },
  );

  const reply = await api.fetchJson(
    `/v1/agent-widget/conversations/${jane.session_id}/messages`,
    asAgent(agent.token, json({ content: 'Yes, this morning.' })),
  );
  t.equal(reply.status, 201, JSON.stringify(reply.body));
  t.match(reply.body, { sender: 'agent', author: 'Ann Agent', content: 'Yes, this morning.' });
  await untilOrThrow('the reply at the visitor', () => janeWs.frames.some((f) => f.type === 'message' && f.sender === 'agent'));
  t.match(
    janeWs.frames.find((f) => f.type === 'message' && f.sender === 'agent'),
    {
      content: 'Yes, this morning.',
      author: 'Ann Agent',
    },
  );
  const stored = await api.store.widgetMessages.history((await api.store.widgetSessions.findByPublicId(jane.session_id))!.id, {
    limit: 10,
  });
  t.equal(stored.messages.at(-1)?.agentId, agent.agent.id, 'the reply is stored as the agent');
  await untilOrThrow('the reply echoed to the softphone', () =>
    mine.frames.some((f) => f.type === 'message' && (f.message as { sender: string }).sender === 'agent'),
  );

  const history = await api.fetchJson(`/v1/agent-widget/conversations/${jane.session_id}/messages`, asAgent(agent.token));
  t.equal(history.status, 200);
  t.same(
    (history.body.messages as { sender: string; content: string }[]).map((m) => [m.sender, m.content]),
    [
      ['visitor', 'Is my order shipped?'],
      ['agent', 'Yes, this morning.'],
    ],
  );

  // the other project's softphone saw its own visitor's message and nothing of the shop's
  await untilOrThrow("the other project's message", () => theirs.frames.some((f) => f.type === 'message'));
  const seen = JSON.stringify(theirs.frames);
  t.notOk(seen.includes(jane.session_id) || seen.includes(lee.session_id), "no frame names the shop's conversations");
  t.notOk(JSON.stringify(mine.frames).includes(stranger.session_id), "nor the shop's softphone the other's");

  const foreign = await api.fetchJson(
    `/v1/agent-widget/conversations/${stranger.session_id}/messages`,
    asAgent(agent.token, json({ content: 'hi' })),
  );
  t.same([foreign.status, Object.keys(foreign.body)], [403, ['error']], "another project's conversation is 403");

  // an ended conversation takes no reply
  await api.chat.revoke((await api.store.widgetSessions.findByPublicId(lee.session_id))!);
  await untilOrThrow('the ended frame', () => mine.frames.some((f) => f.type === 'ended'));
  t.same(
    mine.frames.find((f) => f.type === 'ended'),
    { type: 'ended', session_id: lee.session_id },
    'the softphone learns it ended',
  );
  const late = await api.fetchJson(
    `/v1/agent-widget/conversations/${lee.session_id}/messages`,
    asAgent(agent.token, json({ content: 'x' })),
  );
  t.equal(late.status, 409);
  const open = await api.fetchJson('/v1/agent-widget/conversations', asAgent(agent.token));
  t.same(
    (open.body.conversations as { session_id: string }[]).map((c) => c.session_id),
    [jane.session_id],
    'ended conversations leave the list',
  );
});

t.test('a revoked widget session is refused and its socket closed; bad tokens and foreign pages too', async (t) => {
  const { api, shopWidget, shopToken, agent } = await setup(t);
  const jane = await openVisitor(api, shopWidget, 'jane@example.com', 'Jane');

  t.equal((await api.fetchJson('/v1/agent-widget/ws')).status, 426, 'the stream is a WebSocket only');
  const none = await api.fetchJson('/v1/agent-widget/conversations');
  t.equal(none.status, 401);
  t.equal(
    (await api.fetchJson('/v1/agent-widget/conversations', asAgent(jane.token))).status,
    401,
    "a visitor's token is not an agent's",
  );
  t.equal((await api.fetchJson('/v1/agent-widget/conversations', asAgent(shopToken))).status, 401, 'nor is a project token');
  const noSock = agentSocket(t, api, 'voywt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  const foreignPage = agentSocket(t, api, agent.token, 'http://evil.example');
  await untilOrThrow('the refusals', () => noSock.refused !== 0 && foreignPage.refused !== 0);
  t.equal(noSock.refused, 401, 'an unknown token opens no socket');
  t.equal(foreignPage.refused, 403, 'a page on another site opens no socket');

  const live = agentSocket(t, api, agent.token, api.base);
  await untilOrThrow('the socket ready', () => live.frames.some((f) => f.type === 'ready'));
  const revoked = await api.fetchJson(`/v1/agent-widget/session/${agent.id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${shopToken}` },
  });
  t.equal(revoked.status, 200);
  const at = Date.now();
  await untilOrThrow('the socket closed', () => live.closed !== 0, { timeoutMs: 1000 });
  t.equal(live.closed, 4001, `closed as revoked within ${Date.now() - at} ms`);
  t.equal((await api.fetchJson('/v1/agent-widget/conversations', asAgent(agent.token))).status, 401);
  t.equal((await api.fetchJson(`/v1/agent-widget/conversations/${jane.session_id}/messages`, asAgent(agent.token))).status, 401);
  const post = await api.fetchJson(
    `/v1/agent-widget/conversations/${jane.session_id}/messages`,
    asAgent(agent.token, json({ content: 'still here?' })),
  );
  t.equal(post.status, 401, 'a revoked session cannot reply');
  const again = agentSocket(t, api, agent.token);
  await untilOrThrow('the refusal', () => again.refused !== 0);
  t.equal(again.refused, 401, 'nor open a socket');
  const history = await api.fetchJson(`/api/v1/widget/history`, {
    headers: { ...fromPage, authorization: `Bearer ${jane.token}` },
  });
  t.same(history.body.messages, [], 'nothing reached the visitor');
});

t.test('replies are limited to 60 a minute per widget session', async (t) => {
  const { api, shopWidget, agent } = await setup(t);
  const jane = await openVisitor(api, shopWidget, 'jane@example.com', 'Jane');
  const path = `/v1/agent-widget/conversations/${jane.session_id}/messages`;
  for (let i = 1; i <= 60; i++) {
    const r = await api.fetchJson(path, asAgent(agent.token, json({ content: `reply ${i}` })));
    if (r.status !== 201) t.fail(`reply ${i}: ${r.status}`);
  }
  const over = await api.fetchJson(path, asAgent(agent.token, json({ content: 'one too many' })));
  t.equal(over.status, 429);
  t.ok(Number(over.headers.get('retry-after')) >= 1, 'with Retry-After');
  t.equal((await api.fetchJson('/v1/agent-widget/conversations', asAgent(agent.token))).status, 200, 'reading goes on');
});

const asVisitor = (token: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}`, ...fromPage },
});

/** A real 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

function agentUpload(api: TestApi, token: string, sessionId: string, bytes: Buffer, name: string, type?: string) {
  const fd = new FormData();
  fd.append('file', new Blob([bytes], type ? { type } : {}), name);
  return api.fetchJson(`/v1/agent-widget/conversations/${sessionId}/uploads`, asAgent(token, { method: 'POST', body: fd }));
}

const agentReply = (api: TestApi, token: string, sessionId: string, body: Record<string, unknown>) =>
  api.fetchJson(`/v1/agent-widget/conversations/${sessionId}/messages`, json(body, { authorization: `Bearer ${token}` }));

t.test("the agent sends an attachment with a reply; each side downloads the other's, nobody else can", async (t) => {
  const { api, shopWidget, otherWidget, agent, otherAgent } = await setup(t);
  const jane = await openVisitor(api, shopWidget, 'jane@example.com', 'Jane');
  const max = await openVisitor(api, otherWidget, 'max@example.com', 'Max');
  const janeWs = visitorSocket(t, api, jane.token);
  await untilOrThrow('the visitor socket ready', () => janeWs.frames.some((f) => f.type === 'ready'));

  const up = await agentUpload(api, agent.token, jane.session_id, PNG, 'label.png', 'image/png');
  t.equal(up.status, 201, `upload ${JSON.stringify(up.body)}`);
  t.match(up.body, { upload_id: /^up_[A-Za-z0-9_-]{16}$/, file_name: 'label.png', content_type: 'image/png', size: PNG.length });
  const uploadId = up.body.upload_id as string;
  const sent = await agentReply(api, agent.token, jane.session_id, { content: 'Your return label', attachment_id: uploadId });
  t.equal(sent.status, 201, `reply ${JSON.stringify(sent.body)}`);
  t.match(sent.body, { sender: 'agent', author: 'Ann Agent', attachment: { upload_id: uploadId, file_name: 'label.png' } });
  const bare = await agentReply(api, agent.token, jane.session_id, { attachment_id: uploadId });
  t.equal(bare.status, 201, 'an attachment alone is a reply too');

  // the visitor gets it live and downloads it with its own token
  await untilOrThrow('the reply on the visitor socket', () => janeWs.frames.some((f) => f.type === 'message'));
  t.match(
    janeWs.frames.find((f) => f.type === 'message'),
    {
      sender: 'agent',
      content: 'Your return label',
      attachment: { upload_id: uploadId, content_type: 'image/png' },
    },
  );
  const visitorGets = await fetch(`${api.base}/api/v1/widget/uploads/${uploadId}`, asVisitor(jane.token));
  t.equal(visitorGets.status, 200);
  t.same(Buffer.from(await visitorGets.arrayBuffer()), PNG, 'the visitor downloads the bytes the agent sent');

  // and the agent downloads what the visitor sent
  const fd = new FormData();
  fd.append('file', new Blob([Buffer.from('order 1234\n')], { type: 'text/plain' }), 'order.txt');
  const visitorUp = await api.fetchJson('/api/v1/widget/uploads', asVisitor(jane.token, { method: 'POST', body: fd }));
  t.equal(visitorUp.status, 201);
  const visitorFile = visitorUp.body.upload_id as string;
  const agentGets = await fetch(
    `${api.base}/v1/agent-widget/conversations/${jane.session_id}/uploads/${visitorFile}`,
    asAgent(agent.token),
  );
  t.equal(agentGets.status, 200);
  t.equal(await agentGets.text(), 'order 1234\n', "the agent downloads the visitor's file");
  t.equal(agentGets.headers.get('content-security-policy'), "default-src 'none'; sandbox", 'as a sandboxed download');
  t.equal(agentGets.headers.get('x-content-type-options'), 'nosniff');

  // another project's agent: neither upload, download nor attach
  t.equal(
    (await agentUpload(api, otherAgent.token, jane.session_id, PNG, 'x.png')).status,
    403,
    "another project's agent cannot upload here",
  );
  const foreignGet = await fetch(
    `${api.base}/v1/agent-widget/conversations/${jane.session_id}/uploads/${uploadId}`,
    asAgent(otherAgent.token),
  );
  t.equal(foreignGet.status, 403, "nor download this conversation's files");
  // an upload of another conversation cannot be attached or fetched through this one
  const maxUp = await agentUpload(api, otherAgent.token, max.session_id, PNG, 'm.png', 'image/png');
  t.equal(maxUp.status, 201);
  const stolen = await agentReply(api, agent.token, jane.session_id, { content: 'x', attachment_id: maxUp.body.upload_id });
  t.equal(stolen.status, 403, `another conversation's upload is not attachable (${JSON.stringify(stolen.body)})`);
  const sideways = await fetch(
    `${api.base}/v1/agent-widget/conversations/${jane.session_id}/uploads/${maxUp.body.upload_id as string}`,
    asAgent(agent.token),
  );
  t.equal(sideways.status, 403, "nor downloaded through this conversation's path");
  t.equal((await agentReply(api, agent.token, jane.session_id, {})).status, 422, 'neither text nor attachment: 422');

  // what the visitor may not send, the agent may not either: by content, not by name
  const html = await agentUpload(
    api,
    agent.token,
    jane.session_id,
    Buffer.from('<html><script>1</script></html>'),
    'a.png',
    'image/png',
  );
  t.equal(html.status, 415, 'HTML called a PNG is refused');
  const tooBig = await agentUpload(api, agent.token, jane.session_id, Buffer.alloc(api.chat.uploadMaxBytes + 1, 0x41), 'big.txt');
  t.equal(tooBig.status, 413, 'a file over the limit is refused');

  // a conversation the visitor left takes no more files
  await api.chat.revoke((await api.store.widgetSessions.findByPublicId(jane.session_id))!);
  t.equal((await agentUpload(api, agent.token, jane.session_id, PNG, 'late.png')).status, 409, 'ended conversation: 409');
});
