/** `/v1/applications`: create, read, change and delete an application; callback URLs off the box's network are refused. */
import t from 'tap';
import { startTestApi } from '../helpers/api.js';

const json = (token: string, method: string, body?: unknown): RequestInit => ({
  method,
  headers: { 'x-api-key': token, 'content-type': 'application/json' },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

t.test('an application is created, read, changed and deleted with the project token', async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('p');
  const { token } = await api.store.apiTokens.create(p.id);
  const created = await api.fetchJson(
    '/v1/applications',
    json(token, 'POST', {
      name: 'IVR',
      callback_url: 'https://203.0.114.10/flow',
      callback_method: 'get',
      fallback_url: 'https://203.0.114.10/fallback',
    }),
  );
  t.equal(created.status, 201);
  t.match(created.body, {
    name: 'IVR',
    callback_url: 'https://203.0.114.10/flow',
    callback_method: 'GET',
    callback_format: 'json',
    fallback_url: 'https://203.0.114.10/fallback',
    status_callback_url: null,
  });
  const id = created.body.id as number;
  t.same(
    (await api.fetchJson(`/v1/applications/${id}`, { headers: { authorization: `Bearer ${token}` } })).body,
    created.body,
    'a Bearer token reads it too',
  );

  const patched = await api.fetchJson(
    `/v1/applications/${id}`,
    json(token, 'PATCH', {
      callback_method: 'POST',
      callback_format: 'form',
      fallback_url: null,
      status_callback_url: 'https://203.0.114.10/status',
    }),
  );
  t.equal(patched.status, 200);
  t.match(patched.body, {
    name: 'IVR',
    callback_url: 'https://203.0.114.10/flow',
    callback_method: 'POST',
    callback_format: 'form',
    fallback_url: null,
    status_callback_url: 'https://203.0.114.10/status',
  });

  t.equal(
    (await api.fetchJson('/v1/applications', json(token, 'POST', { callback_format: 'xml' }))).status,
    422,
    'unknown body format',
  );
  t.equal(
    (await api.fetchJson('/v1/applications', json(token, 'POST', { callback_method: 'PUT' }))).status,
    422,
    'unknown method',
  );
  t.equal(
    (await api.fetchJson('/v1/applications', json(token, 'POST', { callback_url: 'ftp://example.com/x' }))).status,
    422,
    'not http(s)',
  );

  // A number pointing at it loses its target when it is deleted.
  const n = await api.store.numbers.assign(p.id, '+14155550100', { kind: 'application', applicationId: id });
  t.same((await api.fetchJson(`/v1/applications/${id}`, json(token, 'DELETE'))).body, { status: 'deleted', id });
  t.equal((await api.fetchJson(`/v1/applications/${id}`, json(token, 'GET'))).status, 404);
  t.equal((await api.store.numbers.get(n.id))!.target, null);
  t.same((await api.fetchJson('/v1/applications', json(token, 'GET'))).body, { applications: [] });
});

t.test('callback URLs on loopback or private networks are refused unless allowed', async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('p');
  const { token } = await api.store.apiTokens.create(p.id);
  for (const [field, url] of [
    ['callback_url', 'http://127.0.0.1:8080/flow'],
    ['fallback_url', 'http://10.0.0.5/x'],
    ['status_callback_url', 'http://[::1]/s'],
    ['callback_url', 'http://169.254.169.254/latest'],
  ] as const) {
    const r = await api.fetchJson('/v1/applications', json(token, 'POST', { [field]: url }));
    t.equal(r.status, 422, `${field} ${url}`);
    t.match(r.body, { error: new RegExp(`^${field}: .*private or loopback`) });
  }
  const app = await api.store.applications.create({ projectId: p.id, name: 'a', callbackUrl: 'https://203.0.114.10/flow' });
  t.equal(
    (await api.fetchJson(`/v1/applications/${app.id}`, json(token, 'PATCH', { callback_url: 'http://localhost/x' }))).status,
    422,
    'PATCH too',
  );
  t.equal((await api.store.applications.get(app.id))!.callbackUrl, 'https://203.0.114.10/flow', 'unchanged');

  const open = await startTestApi(t, { allowPrivateWebhookTargets: true });
  const q = await open.store.projects.create('q');
  const tq = (await open.store.apiTokens.create(q.id)).token;
  t.equal(
    (await open.fetchJson('/v1/applications', json(tq, 'POST', { callback_url: 'http://127.0.0.1:8080/flow' }))).status,
    201,
    'allowed by webhooks.allowPrivateTargets',
  );
});
