/**
 * `/v1/agent-widget/session` (Voylo): minting creates the agent on first sight and answers a
 * `voywt_` token kept only as its SHA-256; TTL bounds; the softphone page trades the token for
 * session-derived SIP credentials until the session is revoked or expires.
 */
import t from 'tap';
import { startTestApi } from '../helpers/api.js';
import { sha256Hex } from '../../src/store/index.js';

const post = (token: string, body: unknown): RequestInit => ({
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const bearer = (token: string, method = 'POST'): RequestInit => ({ method, headers: { authorization: `Bearer ${token}` } });

t.test('a session is minted for a new agent, then for the same agent again', async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('p');
  const { token } = await api.store.apiTokens.create(p.id);
  const before = Date.now();
  const res = await api.fetchJson(
    '/v1/agent-widget/session',
    post(token, { agentEmail: 'Alice@Cust.com', displayName: 'Alice' }),
  );
  const after = Date.now();
  t.equal(res.status, 201, JSON.stringify(res.body));
  const body = res.body as { id: number; token: string; widgetUrl: string; expiresAt: string; agent: Record<string, unknown> };
  t.match(body.token, /^voywt_[A-Za-z0-9_-]{32}$/, 'voywt_ + 32 base64url');
  t.equal(body.widgetUrl, `${api.base}/agent-widget/embed?token=${body.token}`);
  t.match(body.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // an hour from when the server minted it, somewhere between the request and the answer (whole seconds,
  // truncated): a loaded machine took 2.7 s to answer, which a bound from `before` alone counted as TTL
  const expires = Date.parse(body.expiresAt);
  t.ok(
    expires >= before + 3600_000 - 1000 && expires <= after + 3600_000 + 1000,
    `default TTL one hour (${expires - before} ms after the request, ${expires - after} ms after the answer)`,
  );
  t.match(body.agent, { username: 'alice', label: 'Alice' });
  const agent = await api.store.agents.get(body.agent.id as number);
  t.match(agent, { projectId: p.id, email: 'alice@cust.com', displayName: 'Alice' }, 'the agent exists in the project');

  const stored = await api.store.agentWidgetSessions.findByToken(body.token);
  t.equal(stored?.id, body.id, 'found by the hash of the token');
  t.notOk(JSON.stringify(stored).includes(body.token), 'the token itself is not stored');
  t.notOk(JSON.stringify(stored).includes(sha256Hex(body.token)), 'nor is its hash read back');

  const again = await api.fetchJson(
    '/v1/agent-widget/session',
    post(token, { agentEmail: 'alice@cust.com', displayName: 'Alice', ttlSeconds: 300 }),
  );
  t.equal(again.status, 201);
  t.equal((again.body.agent as { id: number }).id, body.agent.id, 'same email, same agent');
  t.not(again.body.token, body.token, 'a fresh token');
  t.ok(Date.parse(again.body.expiresAt as string) - Date.now() <= 300_000, 'ttlSeconds honoured');

  // another project with the same local part gets its own agent with a free username
  const q = await api.store.projects.create('q');
  const other = await api.store.apiTokens.create(q.id);
  const theirs = await api.fetchJson(
    '/v1/agent-widget/session',
    post(other.token, { agentEmail: 'alice@else.org', displayName: 'A' }),
  );
  t.equal(theirs.status, 201);
  t.equal((theirs.body.agent as { username: string }).username, 'alice-2');
});

t.test('validation, authentication and TTL bounds', async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('p');
  const { token } = await api.store.apiTokens.create(p.id);
  const cases: [unknown, RegExp][] = [
    [{ displayName: 'A' }, /^agentEmail/],
    [{ agentEmail: 'not-an-email', displayName: 'A' }, /^agentEmail/],
    [{ agentEmail: 'a@b.co' }, /^displayName/],
    [{ agentEmail: 'a@b.co', displayName: 'A', ttlSeconds: 299 }, /^ttlSeconds/],
    [{ agentEmail: 'a@b.co', displayName: 'A', ttlSeconds: 86_401 }, /^ttlSeconds/],
    [{ agentEmail: 'a@b.co', displayName: 'A', ttlSeconds: 60.5 }, /^ttlSeconds/],
  ];
  for (const [body, error] of cases) {
    const res = await api.fetchJson('/v1/agent-widget/session', post(token, body));
    t.equal(res.status, 422, JSON.stringify(body));
    t.match(res.body.error, error);
  }
  t.equal((await api.fetchJson('/v1/agent-widget/session', post(token, '{"agentEmail":'))).status, 400, 'malformed JSON');
  const max = await api.fetchJson(
    '/v1/agent-widget/session',
    post(token, { agentEmail: 'a@b.co', displayName: 'A', ttlSeconds: 86_400 }),
  );
  t.equal(max.status, 201, '24 h is allowed');
  const noAuth = await api.fetchJson('/v1/agent-widget/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agentEmail: 'a@b.co', displayName: 'A' }),
  });
  t.equal(noAuth.status, 401);
  // the voywt_ token is a browser credential, not an API token
  t.equal(
    (await api.fetchJson('/v1/agent-widget/session', post(max.body.token as string, { agentEmail: 'x@b.co', displayName: 'X' })))
      .status,
    401,
  );
});

t.test('the softphone page trades a live token for SIP credentials; revoked or expired, it cannot', async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('p');
  const { token } = await api.store.apiTokens.create(p.id);
  const minted = await api.fetchJson('/v1/agent-widget/session', post(token, { agentEmail: 'bob@cust.com', displayName: 'Bob' }));
  const wt = minted.body.token as string;
  const creds = await api.fetchJson('/v1/agent-widget/sip-credentials', bearer(wt));
  t.equal(creds.status, 200);
  t.match(creds.body, {
    username: `agentwidget-${minted.body.id}`,
    uri: 'sip:bob@127.0.0.1',
    agent: { username: 'bob', label: 'Bob' },
  });
  t.match(creds.body.password, /^[A-Za-z0-9_-]{20,}$/);
  t.equal(creds.headers.get('cache-control'), 'no-store');
  t.not(creds.body.password, (await api.store.agents.sipCredential('bob'))?.password, 'not the agent’s own password');
  t.equal(
    (await api.fetchJson('/v1/agent-widget/sip-credentials', bearer(token))).status,
    401,
    'the API token is not a widget token',
  );
  t.equal((await api.fetchJson('/v1/agent-widget/sip-credentials', { method: 'POST' })).status, 401);
  t.equal(
    (await api.fetchJson('/v1/agent-widget/sip-credentials', bearer(`voywt_${'A'.repeat(32)}`))).status,
    401,
    'unknown token',
  );

  const del = await api.fetchJson(`/v1/agent-widget/session/${minted.body.id}`, bearer(token, 'DELETE'));
  t.equal(del.status, 200);
  t.same(del.body, { id: minted.body.id, status: 'revoked' });
  t.equal((await api.fetchJson('/v1/agent-widget/sip-credentials', bearer(wt))).status, 401, 'revoked');
  t.equal((await api.fetchJson(`/v1/agent-widget/session/${minted.body.id}`, bearer(token, 'DELETE'))).status, 200, 'idempotent');

  // an expired session: written as the repository stores it, with a past expiry
  const agent = await api.store.agents.findByUsername('bob');
  const expiredToken = `voywt_${'e'.repeat(32)}`;
  await api.store.agentWidgetSessions.create({
    projectId: p.id,
    agentId: agent!.id,
    token: expiredToken,
    expiresAt: new Date(Date.now() - 1000).toISOString(),
  });
  t.equal((await api.fetchJson('/v1/agent-widget/sip-credentials', bearer(expiredToken))).status, 401, 'expired');
});

t.test('the loader and the softphone page are served to any origin, with a strict page policy', async (t) => {
  const api = await startTestApi(t);
  const page = await fetch(`${api.base}/agent-widget/embed?token=voywt_x`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-security-policy'), /script-src 'self'/);
  t.match(page.headers.get('content-security-policy'), /frame-ancestors \*/);
  t.equal(page.headers.get('referrer-policy'), 'no-referrer');
  t.match(await page.text(), /<script src="\/agent-widget\/softphone\.js">/);
  const loader = await fetch(`${api.base}/v1/phone.js`);
  t.equal(loader.status, 200, 'phone.js (needs npm run build)');
  t.match(loader.headers.get('content-type'), /javascript/);
  t.match(await loader.text(), /Voylo/);
  t.equal((await fetch(`${api.base}/agent-widget/softphone.js`)).status, 200, 'the softphone bundle');
  t.equal((await fetch(`${api.base}/agent-widget/softphone.js.map`)).status, 404, 'no source maps unless configured');
});
