/**
 * Every project route, table-driven: another project's id answers 403 (never the resource), an
 * unknown id 404, the owner 200, a bad id 422, no token 401. A new route with a path parameter
 * must add its row here (the test fails otherwise).
 */
import t from 'tap';
import { startTestApi, type TestApi } from '../helpers/api.js';

interface Fixture {
  own: number | string;
  foreign: number | string;
  /** Ids that are not numbers: a well-formed id nobody has (404) and a malformed one (422). */
  unknown?: string;
  malformed?: string;
}
type Setup = (api: TestApi, owner: number, other: number) => Promise<Fixture>;

const callPair: Setup = async (api, owner, other) => ({
  own: (await api.store.calls.insert({ projectId: owner, direction: 'outbound', from: '+14155550100', to: '+33612345678' })).id,
  foreign: (await api.store.calls.insert({ projectId: other, direction: 'outbound', from: '+14155550199', to: '+33612345678' }))
    .id,
});

const ROUTES: Record<string, Setup> = {
  'GET /api/v1/calls/:id': callPair,
  'POST /api/v1/calls/:id/hangup': callPair,
  'POST /api/v1/calls/:id/add_monitor': callPair,
  'POST /v1/calls/:id/redirect': callPair,
  'POST /v1/calls/:id/session_data': callPair,
  'POST /v1/calls/:id/hangup': callPair,
  'POST /v1/calls/:id/info': callPair,
  'POST /api/v1/calls/:id/embed_session': callPair,
  'GET /api/v1/relay_numbers/:id': async (api, owner, other) => ({
    own: (await api.store.numbers.assign(owner, '+14155550100', { kind: 'forward', forwardTo: '+33612345678' })).id,
    foreign: (await api.store.numbers.assign(other, '+14155550199')).id,
  }),
  'PATCH /api/v1/relay_numbers/:id': async (api, owner, other) => ({
    own: (await api.store.numbers.assign(owner, '+14155550200', { kind: 'forward', forwardTo: '+33612345678' })).id,
    foreign: (await api.store.numbers.assign(other, '+14155550299')).id,
  }),
  'PATCH /api/v1/webhooks/:id': webhookPair,
  'DELETE /api/v1/webhooks/:id': webhookPair,
  'GET /api/v1/webhooks/:id/calls': webhookPair,
  'GET /v1/applications/:id': applicationPair,
  'PATCH /v1/applications/:id': applicationPair,
  'DELETE /v1/applications/:id': applicationPair,
  'GET /v1/numbers/:id/callback_config': numberPair('+14155550300', '+14155550399'),
  'PUT /v1/numbers/:id/callback_config': numberPair('+14155550400', '+14155550499'),
  'DELETE /v1/agent-widget/session/:id': async (api, owner, other) => {
    const mint = async (projectId: number, email: string) =>
      (
        await api.store.agentWidgetSessions.create({
          projectId,
          agentId: (await api.store.agents.create({ projectId, username: email.split('@')[0]!, password: 'x', email })).id,
          token: `voywt_${email.padEnd(32, 'x').slice(0, 32)}`,
          expiresAt: new Date(Date.now() + 3600_000).toISOString(),
        })
      ).id;
    return { own: await mint(owner, 'iso-own@example.com'), foreign: await mint(other, 'iso-theirs@example.com') };
  },
  'GET /api/v1/widget/sessions/:id': widgetSessionPair,
  'GET /api/v1/widget/sessions/:id/messages': widgetSessionPair,
  'POST /api/v1/widget/sessions/:id/messages': widgetSessionPair,
  'DELETE /api/v1/widget/sessions/:id': widgetSessionPair,
};

/** Visitor chat sessions are named by their `ws_…` id. */
async function widgetSessionPair(api: TestApi, owner: number, other: number): Promise<Fixture> {
  const open = async (projectId: number) => {
    const widget = (await api.store.widgets.forProject(projectId)) ?? (await api.store.widgets.create(projectId));
    return (await api.chat.open(widget, { email: 'visitor@example.com', displayName: 'Visitor' })).session.publicId;
  };
  return {
    own: await open(owner),
    foreign: await open(other),
    unknown: 'ws_AAAAAAAAAAAAAAAA',
    malformed: 'ws_short',
  };
}

function numberPair(own: string, foreign: string): Setup {
  return async (api, owner, other) => ({
    own: (await api.store.numbers.assign(owner, own)).id,
    foreign: (await api.store.numbers.assign(other, foreign)).id,
  });
}

async function applicationPair(api: TestApi, owner: number, other: number): Promise<Fixture> {
  return {
    own: (await api.store.applications.create({ projectId: owner, name: 'mine', callbackUrl: 'https://example.com/flow' })).id,
    foreign: (
      await api.store.applications.create({ projectId: other, name: 'theirs', callbackUrl: 'https://example.com/theirs' })
    ).id,
  };
}

async function webhookPair(api: TestApi, owner: number, other: number): Promise<Fixture> {
  return {
    own: (await api.store.webhooks.create(owner, { url: 'https://example.com/a' })).id,
    foreign: (await api.store.webhooks.create(other, { url: 'https://example.com/b' })).id,
  };
}

t.test('a foreign id is 403 on every project route', async (t) => {
  const api = await startTestApi(t);
  const mine = await api.store.projects.create('mine');
  const theirs = await api.store.projects.create('theirs');
  const { token } = await api.store.apiTokens.create(mine.id);
  const auth = { headers: { authorization: `Bearer ${token}` } };
  const withParams = api.registry.list().filter((r) => r.auth === 'project' && r.path.includes('/:'));
  t.ok(withParams.length > 0);
  for (const route of withParams) {
    const key = `${route.method.toUpperCase()} ${route.path}`;
    const setup = ROUTES[key];
    if (!setup) {
      t.fail(`${key} has no isolation row`);
      continue;
    }
    const fx = await setup(api, mine.id, theirs.id);
    const at = (id: number | string) => route.path.replace(/:id\b/, String(id));
    const init: RequestInit = {
      ...auth,
      method: route.method.toUpperCase(),
      ...(route.body ? { body: '{}', headers: { ...auth.headers, 'content-type': 'application/json' } } : {}),
    };
    const foreign = await api.fetchJson(at(fx.foreign), init);
    t.equal(foreign.status, 403, `${key}: another project's id`);
    t.match(foreign.body, { error: /^forbidden/ });
    t.same(Object.keys(foreign.body), ['error'], 'nothing of the resource leaks');
    t.equal((await api.fetchJson(at(fx.unknown ?? 999999), init)).status, 404, `${key}: unknown id`);
    t.equal((await api.fetchJson(at(fx.malformed ?? 'abc'), init)).status, 422, `${key}: malformed id`);
    t.equal((await api.fetchJson(at(fx.own), { method: init.method })).status, 401, `${key}: no token`);
    if (route.method === 'get') t.equal((await api.fetchJson(at(fx.own), init)).status, 200, `${key}: the owner`);
  }
  // Listings show only the caller's rows.
  const list = await api.fetchJson('/api/v1/relay_numbers', auth);
  t.same((list.body.relay_numbers as { phone_number: string }[]).map((n) => n.phone_number).sort(), [
    '+14155550100',
    '+14155550200',
    '+14155550300',
    '+14155550400',
  ]);
  t.match(
    (list.body.relay_numbers as { phone_number: string }[]).find((n) => n.phone_number === '+14155550100'),
    { forward_to: '+33612345678', relay_enabled: true, target: { kind: 'forward', forward_to: '+33612345678' } },
  );
  const hooks = await api.fetchJson('/api/v1/webhooks', auth);
  t.ok(
    (hooks.body.webhooks as { url: string }[]).every((w) => w.url === 'https://example.com/a'),
    'only our webhooks are listed',
  );
  t.notOk(JSON.stringify(hooks.body).includes('whsec_'), 'and no secret');
  const apps = await api.fetchJson('/v1/applications', { headers: { 'x-api-key': token } });
  t.ok((apps.body.applications as { name: string }[]).length > 0, 'x-api-key lists applications');
  t.ok(
    (apps.body.applications as { name: string }[]).every((a) => a.name === 'mine'),
    'only our applications are listed',
  );
});

/**
 * The softphone's chat routes authenticate with a `voywt_` widget session, not a project token:
 * each needs a row here too, and answers another project's conversation as the project routes do.
 */
const WIDGET_SESSION_ROUTES: Record<string, Setup> = {
  'GET /v1/agent-widget/conversations/:id/messages': widgetSessionPair,
  'POST /v1/agent-widget/conversations/:id/messages': widgetSessionPair,
  'POST /v1/agent-widget/conversations/:id/uploads': widgetSessionPair,
  'GET /v1/agent-widget/conversations/:id/uploads/:uploadId': widgetSessionPair,
};

t.test("a softphone's widget session sees only its own project's conversations", async (t) => {
  const api = await startTestApi(t);
  const mine = await api.store.projects.create('mine');
  const theirs = await api.store.projects.create('theirs');
  const { token: projectToken } = await api.store.apiTokens.create(mine.id);
  const minted = await api.fetchJson('/v1/agent-widget/session', {
    method: 'POST',
    headers: { authorization: `Bearer ${projectToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agentEmail: 'ann@mine.example', displayName: 'Ann' }),
  });
  t.equal(minted.status, 201);
  const widgetToken = minted.body.token as string;
  const routes = api.registry.list().filter((r) => r.path.startsWith('/v1/agent-widget/conversations/'));
  t.ok(routes.length > 0);
  for (const route of routes) {
    const key = `${route.method.toUpperCase()} ${route.path}`;
    const setup = WIDGET_SESSION_ROUTES[key];
    if (!setup) {
      t.fail(`${key} has no isolation row`);
      continue;
    }
    const fx = await setup(api, mine.id, theirs.id);
    // a file of our own conversation: the owner downloads it, and every other answer is about the conversation
    let uploadId = 'up_AAAAAAAAAAAAAAAA';
    if (route.path.includes(':uploadId')) {
      const own = await api.store.widgetSessions.findByPublicId(String(fx.own));
      uploadId = (await api.chat.attach(own!, { bytes: Buffer.from('hello\n'), fileName: 'a.txt' })).publicId;
    }
    const at = (id: number | string) => route.path.replace(/:id\b/, String(id)).replace(':uploadId', uploadId);
    const headers: Record<string, string> = { authorization: `Bearer ${widgetToken}` };
    if (route.body) headers['content-type'] = 'application/json';
    const init: RequestInit = { method: route.method.toUpperCase(), headers, ...(route.body ? { body: '{}' } : {}) };
    const foreign = await api.fetchJson(at(fx.foreign), init);
    t.equal(foreign.status, 403, `${key}: another project's conversation`);
    t.match(foreign.body, { error: /^forbidden/ });
    t.same(Object.keys(foreign.body), ['error'], 'nothing of the conversation leaks');
    t.equal((await api.fetchJson(at(fx.unknown ?? 999999), init)).status, 404, `${key}: unknown id`);
    t.equal((await api.fetchJson(at(fx.malformed ?? 'abc'), init)).status, 422, `${key}: malformed id`);
    t.equal((await api.fetchJson(at(fx.own), { method: init.method })).status, 401, `${key}: no token`);
    const projectInit = { ...init, headers: { ...headers, authorization: `Bearer ${projectToken}` } };
    t.equal((await api.fetchJson(at(fx.own), projectInit)).status, 401, `${key}: a project token is not a widget session`);
    if (route.method === 'get') t.equal((await api.fetchJson(at(fx.own), init)).status, 200, `${key}: the owner`);
  }
});

t.test('a user token acts on its own project only', async (t) => {
  const api = await startTestApi(t);
  const a = await api.store.projects.create('a');
  const b = await api.store.projects.create('b');
  const c = await api.store.projects.create('c');
  const u = await api.store.users.create({
    email: 'u@example.com',
    name: 'U',
    passwordHash: 'x',
    codeHash: 'x',
    codeExpiresAt: 'x',
  });
  await api.store.users.markConfirmed(u.id);
  await api.store.projects.addMember(a.id, u.id, 'owner');
  const token = await api.store.users.createToken(u.id);
  const na = await api.store.numbers.assign(a.id, '+14155550100');
  const nc = await api.store.numbers.assign(c.id, '+14155550101');
  const q = `user_token=${token}`;
  t.equal((await api.fetchJson(`/api/v1/relay_numbers/${na.id}?${q}`)).status, 200);
  t.equal((await api.fetchJson(`/api/v1/relay_numbers/${nc.id}?${q}`)).status, 403);
  await api.store.projects.addMember(b.id, u.id, 'member');
  const several = await api.fetchJson(`/api/v1/relay_numbers?${q}`);
  t.same([several.status, several.body], [403, { error: 'forbidden: member of several projects; name one with X-Project-Id' }]);
  t.equal(
    (await api.fetchJson(`/api/v1/relay_numbers/${na.id}?${q}`, { headers: { 'x-project-id': String(a.id) } })).status,
    200,
  );
  t.equal(
    (await api.fetchJson(`/api/v1/relay_numbers/${na.id}?${q}`, { headers: { 'x-project-id': String(b.id) } })).status,
    403,
    "the number is a's, not b's",
  );
  const notMember = await api.fetchJson(`/api/v1/relay_numbers?${q}&project_id=${c.id}`);
  t.same([notMember.status, notMember.body], [403, { error: 'forbidden: not a member of this project' }]);
});
