/**
 * Application → visitor events in headless Chromium, on the whole platform: the visitor widget on a
 * customer's page (`http://localhost:<port>`) calls an application whose call flow sends an INFO
 * action, then waits; the project then sends another event to the live call by REST
 * (`POST /v1/calls/:id/info`, as Voxology's live-call modification). Both reach the page's
 * `PolyphoneAPI.onInfoReceived` handlers as SIP INFOs over the widget's WebSocket, in the JSON the
 * page's own `sendInfo` writes. The REST's refusals: another project's call (403), a body too big
 * or a bad event name (422), a call that is over (409).
 *
 * Requires `npm run build` (the visitor bundle in dist/widget).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestPlatform } from '../helpers/platform.js';
import { ChromiumPool } from '../helpers/chromium.js';
import { untilOrThrow } from '../helpers/wait.js';
import { CallbackServer } from '../flows/flow-fakes.js';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, '..', '..', 'widget', 'visitor', 'visitor.js')))
  throw new Error('widget bundles missing: run npm run build first');

t.setTimeout(180000);

const browsers = new ChromiumPool(t);
const flowServer = new CallbackServer();
await flowServer.start();
t.teardown(() => flowServer.close());
flowServer.json('/info.json', {
  actions: [
    { type: 'INFO', params: { event: 'agent_status', data: { text: 'An agent will be with you shortly', position: 2 } } },
    { type: 'PAUSE', params: { length: 60000 } },
    { type: 'HANGUP' },
  ],
});
const tp = await startTestPlatform(t, {
  config: {
    sip: { listen: ['udp:127.0.0.1:0', 'ws:127.0.0.1:0'] },
    webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true },
    webhooks: { allowPrivateTargets: true },
    widgets: { sessionsPerMinute: 100 },
  },
});
const base = `http://${tp.platform.http.host}:${tp.platform.http.port}`;

async function call(token: string, path: string, body?: unknown, method = body ? 'POST' : 'GET') {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-api-key': token, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}
async function api(token: string, path: string, body?: unknown, method = body ? 'POST' : 'GET') {
  const r = await call(token, path, body, method);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const project = (await tp.platform.store.projects.first())!;
const { token } = await tp.platform.store.apiTokens.create(project.id);
const app = await api(token, '/v1/applications', {
  name: 'web queue',
  callback_url: flowServer.url('/info.json'),
  callback_method: 'GET',
});
const widget = await api(
  token,
  '/api/v1/voice-widget/config',
  { allowed_domains: ['localhost'], target: { type: 'application', application_id: app.id } },
  'PUT',
);
const other = await tp.platform.store.projects.create('someone else');
const { token: otherToken } = await tp.platform.store.apiTokens.create(other.id);

const site = createServer((_req, res) => {
  res.setHeader('content-type', 'text/html');
  res.end(`<!doctype html><html><body><h1>Shop</h1>
<script src="${base}/widget/${encodeURIComponent(widget.widget_id as string)}.js"></script></body></html>`);
});
await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => site.close(() => resolve())));
const page_url = `http://localhost:${(site.address() as AddressInfo).port}/`;

t.test('INFO from the call flow and from REST reach onInfoReceived in the page', async (t) => {
  const harness = await browsers.harness(t, { micToneHz: 1000 });
  const page = await harness.newPage();
  await page.goto(page_url);
  await page.waitForFunction('window.PolyphoneAPI !== undefined');
  // the page registers before it calls, as a site would
  await page.evaluate(`window.__infos = []; window.PolyphoneAPI.onInfoReceived((i) => window.__infos.push(i));
    window.__answered = false; window.PolyphoneAPI.onAnswered(() => { window.__answered = true; });`);
  await page.evaluate('window.PolyphoneAPI.connectAndCall()');
  await untilOrThrow('the call answered', async () => (await page.evaluate('window.__answered')) === true, { timeoutMs: 20000 });
  const infos = () => page.evaluate('window.__infos') as Promise<{ contentType: string; data: unknown }[]>;

  await untilOrThrow("the flow's INFO heard", async () => (await infos()).length >= 1, { timeoutMs: 10000 });
  t.same(
    (await infos())[0],
    {
      contentType: 'application/json',
      data: { event: 'agent_status', data: { text: 'An agent will be with you shortly', position: 2 } },
    },
    "the flow's INFO action, as {event, data}",
  );

  const live = (await api(token, '/api/v1/calls?status=in-progress')).calls as { id: number; status: string }[];
  t.equal(live.length, 1, 'one call in progress');
  const id = live[0]!.id;
  const sent = await call(token, `/v1/calls/${id}/info`, { event: 'order_ready', data: { orderId: 'A-1', items: [1, 2] } });
  t.equal(sent.status, 200, 'the REST answer once the page accepted the INFO');
  t.same(sent.body, { status: 'success', call_id: String(id), phone_call_id: id });
  t.same(
    (await infos())[1],
    { contentType: 'application/json', data: { event: 'order_ready', data: { orderId: 'A-1', items: [1, 2] } } },
    'already in the page when the REST answered',
  );

  t.equal((await call(otherToken, `/v1/calls/${id}/info`, { event: 'x' })).status, 403, "another project's call: 403");
  const big = await call(token, `/v1/calls/${id}/info`, { event: 'x', data: 'y'.repeat(5000) });
  t.equal(big.status, 422, 'more than 4 KB: 422');
  t.match(big.body.error, /4096 bytes/);
  t.equal((await call(token, `/v1/calls/${id}/info`, { event: 'no spaces please' })).status, 422, 'a bad event name: 422');
  t.equal((await call(token, `/v1/calls/${id}/info`, { event: 'x', to: 'callee' })).status, 409, 'no callee on this call: 409');
  t.equal((await infos()).length, 2, 'none of the refused ones reached the page');

  await page.evaluate('window.PolyphoneAPI.endCall()');
  await untilOrThrow('the call over', async () => (await api(token, `/api/v1/calls/${id}`)).status === 'completed', {
    timeoutMs: 10000,
  });
  const over = await call(token, `/v1/calls/${id}/info`, { event: 'late' });
  t.equal(over.status, 409, 'a call that is over: 409');
  t.same(Object.keys(over.body), ['error']);
});
