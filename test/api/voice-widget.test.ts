/**
 * The widget configuration API (Aurion's `/api/v1/voice-widget/*`) and the widget's public
 * endpoints over real HTTP: scopes, validation, a foreign target 403, key regeneration, GA
 * readiness, the domain allow-list on the script, settings and token, and the token's rate limit.
 */
import t, { type Test } from 'tap';
import { json, startTestApi } from '../helpers/api.js';
import { VisitorCredentials } from '../../src/widgets/visitor-credentials.js';

t.setTimeout(60000);

async function setup(t: Test, sessionsPerMinute = 100) {
  const credentials = new VisitorCredentials({ ttlMs: 60_000 });
  t.teardown(() => credentials.close());
  const api = await startTestApi(t, {
    widgets: { credentials, sipWsUrl: (h) => `ws://${h}:5066`, sipDomain: 'switchboard', sessionsPerMinute },
  });
  const project = await api.store.projects.create('shop');
  const { token: read } = await api.store.apiTokens.create(project.id, ['voice-widget:read']);
  const { token: write } = await api.store.apiTokens.create(project.id, ['voice-widget:write']);
  const { token: all } = await api.store.apiTokens.create(project.id);
  return { api, project, read, write, all, credentials };
}
type Setup = Awaited<ReturnType<typeof setup>>;

const key = (token: string, extra: RequestInit = {}): RequestInit => ({
  ...extra,
  headers: { 'X-API-Key': token, ...(extra.headers as Record<string, string> | undefined) },
});
const put = (token: string, body: unknown): RequestInit => key(token, { ...json(body), method: 'PUT' });

async function configured(s: Setup, body: Record<string, unknown>): Promise<string> {
  const app = await s.api.store.applications.create({
    projectId: s.project.id,
    name: 'bot',
    callbackUrl: 'http://127.0.0.1:9/f',
  });
  const r = await s.api.fetchJson(
    '/api/v1/voice-widget/config',
    put(s.all, { target: { type: 'application', application_id: app.id }, ...body }),
  );
  return r.body.widget_id as string;
}

t.test('config: made on first read, changed by PUT, scopes enforced', async (t) => {
  const s = await setup(t);
  const { api } = s;
  t.equal((await api.fetchJson('/api/v1/voice-widget/config')).status, 401);
  const first = await api.fetchJson('/api/v1/voice-widget/config', key(s.read));
  t.equal(first.status, 200);
  t.match(first.body, {
    widget_id: /^wgt_/,
    greeting: 'Hi! How can I help you today?',
    primary_color: '#6366F1',
    position: 'bottom-right',
    allowed_domains: [],
    modes: ['voice'],
    target: null,
    secret: /^wsec_/,
  });
  const again = await api.fetchJson('/api/v1/voice-widget/config', key(s.read));
  t.equal(again.body.widget_id, first.body.widget_id, 'one widget per project');
  t.equal(again.body.secret, undefined, 'the secret is shown once');
  t.equal(again.body.secret_prefix, (first.body.secret as string).slice(0, 10));
  t.match((again.body.embed as Record<string, string>).script, `/widget/${first.body.widget_id}.js"></script>`);

  const body = {
    greeting: 'Hello from the shop',
    primary_color: '#112233',
    position: 'bottom-left',
    allowed_domains: ['Example.com', '*.shop.example'],
    modes: ['voice', 'chat'],
    consent_required: true,
    consent_text: 'We may record this call.',
  };
  t.equal((await api.fetchJson('/api/v1/voice-widget/config', put(s.read, body))).status, 403, 'a read key cannot write');
  t.equal((await api.fetchJson('/api/v1/voice-widget/config', key(s.write))).status, 403, 'a write key cannot read');
  const changed = await api.fetchJson('/api/v1/voice-widget/config', put(s.write, body));
  t.equal(changed.status, 200);
  t.match(changed.body, { ...body, allowed_domains: ['example.com', '*.shop.example'] });

  for (const [bad, field] of [
    [{ primary_color: 'red' }, 'primary_color'],
    [{ position: 'top' }, 'position'],
    [{ allowed_domains: ['https://example.com/'] }, 'allowed_domains'],
    [{ modes: [] }, 'modes'],
    [{ modes: ['video'] }, 'modes'],
    [{ colour: '#000000' }, 'colour'],
    [{ target: { type: 'number', number: '12' } }, 'target'],
  ] as const) {
    const r = await api.fetchJson('/api/v1/voice-widget/config', put(s.all, bad));
    t.equal(r.status, 422, `${JSON.stringify(bad)} is refused`);
    t.match(r.body.error, field);
  }
});

t.test('config: the target must be the project own', async (t) => {
  const s = await setup(t);
  const other = await s.api.store.projects.create('other');
  const theirs = await s.api.store.applications.create({ projectId: other.id, name: 'x', callbackUrl: 'http://127.0.0.1:9/' });
  const mine = await s.api.store.applications.create({ projectId: s.project.id, name: 'y', callbackUrl: 'http://127.0.0.1:9/' });
  const at = (body: unknown) => s.api.fetchJson('/api/v1/voice-widget/config', put(s.all, body));
  t.equal(
    (await at({ target: { type: 'application', application_id: theirs.id } })).status,
    403,
    "another project's application",
  );
  t.equal((await at({ target: { type: 'application', application_id: 999999 } })).status, 404);
  await s.api.store.numbers.assign(other.id, '+14155550199');
  t.equal((await at({ target: { type: 'number', number: '+14155550199' } })).status, 422, "another project's number");
  await s.api.store.numbers.assign(s.project.id, '+14155550100');
  t.match((await at({ target: { type: 'number', number: '+14155550100' } })).body, {
    target: { type: 'number', number: '+14155550100' },
  });
  t.match((await at({ target: { type: 'application', application_id: mine.id } })).body, {
    target: { type: 'application', application_id: mine.id },
  });
});

t.test('regenerate-key and ga-readiness', async (t) => {
  const s = await setup(t);
  const r0 = await s.api.fetchJson('/api/v1/voice-widget/ga-readiness', key(s.read));
  t.match(r0.body, { ready: false, widget_id: null });
  const id = await configured(s, { allowed_domains: ['localhost'] });
  const r1 = await s.api.fetchJson('/api/v1/voice-widget/ga-readiness', key(s.read));
  t.match(r1.body, { ready: true, widget_id: id });
  t.equal((r1.body.checks as unknown[]).length, 5);

  t.equal((await s.api.fetchJson('/api/v1/voice-widget/config/regenerate-key', key(s.read, { method: 'POST' }))).status, 403);
  const regen = await s.api.fetchJson('/api/v1/voice-widget/config/regenerate-key', key(s.write, { method: 'POST' }));
  t.equal(regen.status, 200);
  t.match(regen.body, { widget_id: /^wgt_/, secret: /^wsec_/, message: 'Widget key regenerated. Update your embed snippet.' });
  t.not(regen.body.widget_id, id);
  const page = { headers: { referer: 'http://localhost:8080/pricing' } };
  t.equal((await fetch(`${s.api.base}/widget/${id}.js`, page)).status, 404, 'the old embed snippet loads nothing');
  t.equal((await fetch(`${s.api.base}/widget/${regen.body.widget_id}.js`, page)).status, 200, 'the new one does');
});

t.test('the allow-list: script, settings and token answer 403 outside allowed_domains', async (t) => {
  const s = await setup(t);
  const id = await configured(s, { allowed_domains: ['localhost', '*.example.com'] });
  const from = (page: string | undefined, init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...(page ? { origin: page, referer: `${page}/x` } : {}) },
  });
  for (const page of ['http://localhost:4000', 'https://shop.example.com', undefined]) {
    const script = await fetch(`${s.api.base}/widget/${id}.js`, from(page));
    const ok = page !== undefined;
    t.equal(script.status, ok ? 200 : 403, `script for ${page}`);
    if (ok) {
      const text = await script.text();
      t.match(text, `"widget_id":"${id}"`, 'the settings ride with the script');
      t.equal(script.headers.get('cache-control'), 'no-store');
    }
  }
  for (const page of ['http://evil.test', 'https://example.com.evil.test', 'https://example.com', 'null']) {
    t.equal((await fetch(`${s.api.base}/widget/${id}.js`, from(page))).status, 403, `script refused to ${page}`);
    t.equal((await s.api.fetchJson(`/widget/${id}/config`, from(page))).status, 403, `settings refused to ${page}`);
    const tok = await s.api.fetchJson('/api/v1/voice-widget/token', from(page, json({ widget_id: id })));
    t.equal(tok.status, 403, `token refused to ${page}`);
  }
  t.equal(s.credentials.size, 0, 'no credential was minted for a refused page');

  const cfg = await s.api.fetchJson(`/widget/${id}/config`, from('http://localhost:4000'));
  t.match(cfg.body, { widget_id: id, callable: true, consent_required: false });
  t.equal(cfg.headers.get('access-control-allow-origin'), 'http://localhost:4000');
  const tok = await s.api.fetchJson('/api/v1/voice-widget/token', from('http://localhost:4000', json({ widget_id: id })));
  t.equal(tok.status, 201);
  t.match(tok.body, {
    token: /.{20,}/,
    room_name: id,
    ws_url: 'ws://127.0.0.1:5066',
    sip: { username: /^visitor-/, domain: 'switchboard', dial: id },
  });
  t.equal(s.credentials.size, 1);
  const own = new URL(s.api.base).host;
  t.equal((await fetch(`${s.api.base}/widget/${id}.js`, from(`http://${own}`))).status, 200, 'the hosted page is always allowed');
  const share = await fetch(`${s.api.base}/widget/${id}/call`);
  t.equal(share.status, 200);
  t.match(await share.text(), `<script src="/widget/${id}.js"></script>`);
  t.equal((await fetch(`${s.api.base}/widget/wgt_AAAAAAAAAAAAAAAA/call`)).status, 404);
  const aurion = await fetch(`${s.api.base}/api/v1/voice-widget/embed/aurion.js`);
  t.equal(aurion.status, 200);
  t.match(aurion.headers.get('content-type'), /javascript/);
});

t.test('the token is rate-limited per source: the sixth in a minute is 429 with Retry-After', async (t) => {
  const s = await setup(t, 5);
  const id = await configured(s, { allowed_domains: ['localhost'] });
  const ask = () => s.api.fetchJson('/api/v1/voice-widget/token', json({ widget_id: id }, { origin: 'http://localhost:3000' }));
  for (let i = 1; i <= 5; i++) t.equal((await ask()).status, 201, `session ${i}`);
  const sixth = await ask();
  t.equal(sixth.status, 429);
  const wait = Number(sixth.headers.get('retry-after'));
  t.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
});

t.test('a widget without a target mints nothing', async (t) => {
  const s = await setup(t);
  const r = await s.api.fetchJson('/api/v1/voice-widget/config', put(s.all, { allowed_domains: ['localhost'] }));
  const tok = await s.api.fetchJson(
    '/api/v1/voice-widget/token',
    json({ widget_id: r.body.widget_id }, { origin: 'http://localhost:3000' }),
  );
  t.equal(tok.status, 409);
  const cfg = await s.api.fetchJson(`/widget/${r.body.widget_id}/config`, { headers: { origin: 'http://localhost:3000' } });
  t.equal(cfg.body.callable, false);
});
