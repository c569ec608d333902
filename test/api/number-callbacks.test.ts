/** `/v1/numbers/:id/callback_config`: a number inherits its application's callback configuration until it has its own. */
import t from 'tap';
import { startTestApi } from '../helpers/api.js';

const req = (token: string, method: string, body?: unknown): RequestInit => ({
  method,
  headers: { 'x-api-key': token, 'content-type': 'application/json' },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

t.test("a number inherits its application's configuration, then uses its own", async (t) => {
  const api = await startTestApi(t);
  const p = await api.store.projects.create('p');
  const { token } = await api.store.apiTokens.create(p.id);
  const app = await api.store.applications.create({
    projectId: p.id,
    name: 'ivr',
    callbackUrl: 'https://203.0.114.10/app',
    callbackMethod: 'POST',
    callbackFormat: 'form',
    fallbackUrl: 'https://203.0.114.10/app-fallback',
  });
  const n = await api.store.numbers.assign(p.id, '+14155550100', { kind: 'application', applicationId: app.id });
  const path = `/v1/numbers/${n.id}/callback_config`;

  const first = await api.fetchJson(path, req(token, 'GET'));
  t.equal(first.status, 200);
  t.match(first.body, {
    number_id: n.id,
    phone_number: '+14155550100',
    application_id: app.id,
    inherit: true,
    callback_url: null,
    updated_at: null,
    effective: {
      source: 'application',
      callback_url: 'https://203.0.114.10/app',
      callback_method: 'POST',
      callback_format: 'form',
      fallback_url: 'https://203.0.114.10/app-fallback',
    },
  });

  t.equal(
    (await api.fetchJson(path, req(token, 'PUT', { inherit: false }))).status,
    422,
    'turning inherit off needs a callback URL',
  );
  const own = await api.fetchJson(
    path,
    req(token, 'PUT', { inherit: false, callback_url: 'https://203.0.114.10/static.json', callback_method: 'get' }),
  );
  t.equal(own.status, 200);
  t.match(own.body, {
    inherit: false,
    callback_url: 'https://203.0.114.10/static.json',
    callback_method: 'GET',
    callback_format: 'json',
    effective: { source: 'number', callback_url: 'https://203.0.114.10/static.json', callback_method: 'GET', fallback_url: null },
  });
  t.type(own.body.updated_at, 'string');
  t.same((await api.fetchJson(path, req(token, 'GET'))).body, own.body, 'stored');

  const back = await api.fetchJson(path, req(token, 'PUT', { inherit: true }));
  t.match(back.body, {
    inherit: true,
    callback_url: 'https://203.0.114.10/static.json',
    effective: { source: 'application', callback_url: 'https://203.0.114.10/app' },
  });

  t.equal(
    (await api.fetchJson(path, req(token, 'PUT', { callback_url: 'http://127.0.0.1/x' }))).status,
    422,
    'a loopback callback URL is refused',
  );
  t.equal((await api.fetchJson(path, req(token, 'PUT', { callback_format: 'xml' }))).status, 422);
  t.equal((await api.fetchJson(path, { method: 'GET' })).status, 401);

  // A number without an application and its own configuration off: nothing to call back.
  const bare = await api.store.numbers.assign(p.id, '+14155550101');
  const none = await api.fetchJson(`/v1/numbers/${bare.id}/callback_config`, req(token, 'GET'));
  t.match(none.body, { application_id: null, inherit: true, effective: null });

  // Released to the inventory, the number forgets its owner's configuration.
  await api.store.numbers.setCallbackConfig(bare.id, { inherit: false, callbackUrl: 'https://203.0.114.10/x' });
  await api.store.numbers.release(bare.id);
  t.match(await api.store.numbers.callbackConfig(bare.id), { inherit: true, callbackUrl: null, updatedAt: null });
});
