/** Project tokens in every accepted form, and what is refused (missing, bad, revoked, wrong kind, lacking scope). */
import t from 'tap';
import express from 'express';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { startTestApi } from '../helpers/api.js';
import { requireProject } from '../../api/auth.js';
import { errorMiddleware } from '../../api/errors.js';

t.test('whoami with a project token: Bearer, x-api-key, X-API-Key, ?api_token=', async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('acme');
  const { token, record } = await api.store.apiTokens.create(p.id);
  const expected = { status: 'ok', id: p.id, name: 'acme', email: null };
  const forms: [string, string, RequestInit][] = [
    ['Bearer', '/api/whoami', { headers: { Authorization: `Bearer ${token}` } }],
    ['x-api-key', '/api/whoami', { headers: { 'x-api-key': token } }],
    ['X-API-Key', '/api/whoami', { headers: { 'X-API-Key': token } }],
    ['?api_token=', `/api/whoami?api_token=${encodeURIComponent(token)}`, {}],
  ];
  for (const [name, path, init] of forms) {
    const r = await api.fetchJson(path, init);
    t.same([r.status, r.body], [200, expected], name);
  }

  // A project a user owns answers with the owner's email.
  const u = await api.store.users.create({
    email: 'owner@example.com',
    name: 'O',
    passwordHash: 'x',
    codeHash: 'x',
    codeExpiresAt: 'x',
  });
  await api.store.users.markConfirmed(u.id);
  await api.store.projects.addMember(p.id, u.id, 'owner');
  t.equal((await api.fetchJson('/api/whoami', { headers: { 'x-api-key': token } })).body.email, 'owner@example.com');

  const refused: [string, string, RequestInit][] = [
    ['no token', '/api/whoami', {}],
    ['unknown token', '/api/whoami', { headers: { authorization: 'Bearer sbp_nope' } }],
    ['malformed header', '/api/whoami', { headers: { authorization: `Token ${token}` } }],
    ['unknown ?api_token=', '/api/whoami?api_token=abc', {}],
    ['unknown ?user_token=', '/api/whoami?user_token=sbu_abc', {}],
    ['project token as ?user_token=', `/api/whoami?user_token=${token}`, {}],
    ['huge token', '/api/whoami', { headers: { 'x-api-key': 'x'.repeat(5000) } }],
  ];
  for (const [name, path, init] of refused) {
    const r = await api.fetchJson(path, init);
    t.same([r.status, r.body], [401, { error: 'missing or invalid token' }], name);
  }
  await api.store.apiTokens.revoke(record.id);
  const revoked = await api.fetchJson('/api/whoami', { headers: { Authorization: `Bearer ${token}` } });
  t.same([revoked.status, revoked.body], [401, { error: 'missing or invalid token' }], 'a revoked token');
});

t.test('a token with scopes only reaches routes needing one of them', async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('acme');
  const { token } = await api.store.apiTokens.create(p.id, ['voice-widget:read']);
  t.equal((await api.fetchJson('/api/whoami', { headers: { 'x-api-key': token } })).status, 200, 'whoami needs no scope');
  const refused = await api.fetchJson('/api/v1/relay_numbers', { headers: { 'x-api-key': token } });
  t.same([refused.status, refused.body], [403, { error: 'forbidden: token lacks the scope numbers:read' }]);
  const { token: reader } = await api.store.apiTokens.create(p.id, ['numbers:read']);
  t.equal(
    (await api.fetchJson('/api/v1/relay_numbers', { headers: { 'x-api-key': reader } })).status,
    200,
    'a token with the scope',
  );
  const { token: all } = await api.store.apiTokens.create(p.id);
  t.equal(
    (await api.fetchJson('/api/v1/relay_numbers', { headers: { 'x-api-key': all } })).status,
    200,
    'a token without scopes has them all',
  );
});

t.test('requireProject: plain Express handlers get req.project', async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('acme');
  const { token } = await api.store.apiTokens.create(p.id);
  const app = express();
  app.get('/raw', requireProject(api.store), (req, res) => {
    res.json({ project: req.project?.name, kind: req.auth?.kind });
  });
  app.use(errorMiddleware(pino({ level: 'silent' })));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/raw`;
  const ok = await fetch(url, { headers: { 'x-api-key': token } });
  t.same([ok.status, await ok.json()], [200, { project: 'acme', kind: 'project' }]);
  const no = await fetch(url);
  t.same([no.status, await no.json()], [401, { error: 'missing or invalid token' }]);
});

const adminJs = join(dirname(fileURLToPath(import.meta.url)), '../../src/admin.js');

t.test('a token revoked by the admin CLI (another process) is refused at once, though the server had just seen it', async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('acme');
  const { token, record } = await api.store.apiTokens.create(p.id);
  const { token: other } = await api.store.apiTokens.create(p.id);
  const headers = { Authorization: `Bearer ${token}` };
  for (let i = 0; i < 3; i++) t.equal((await api.fetchJson('/api/whoami', { headers })).status, 200, `request ${i + 1} before`);
  const env = { ...process.env, DATA_DIR: dirname(api.store.location), LOG_LEVEL: 'silent' };
  const out = await promisify(execFile)(process.execPath, [adminJs, 'token', 'revoke', String(record.id)], { env });
  t.match(out.stdout, `token ${record.id} revoked`);
  const after = await api.fetchJson('/api/whoami', { headers });
  t.same([after.status, after.body], [401, { error: 'missing or invalid token' }], 'the very next request is refused');
  t.equal((await api.fetchJson('/api/whoami', { headers: { 'x-api-key': other } })).status, 200, 'another token still works');
});
