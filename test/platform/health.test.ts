/**
 * /health tells the truth: 503 naming the failing part when a media worker is gone or the SIP
 * application lost its SIP server, 200 once it recovers. Anyone gets the bare answer; counts only
 * with the health token or http.healthDetails. Source maps are not served unless asked for.
 */
import t from 'tap';
import { once } from 'node:events';
import type { Platform } from '../../src/main.js';
import { startLocalPlatform } from './support.js';

interface HealthBody {
  status: string;
  failing?: string[];
  calls?: number;
  media?: { workers: { index: number; state: string; restarts: number }[] };
  sip?: { connected: boolean };
}

const TOKEN = 'health-token-0123456789abcdef';

async function get(p: Platform, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${p.http.port}${path}`, { headers });
  return { status: res.status, body: await res.text() };
}

async function health(p: Platform, headers?: Record<string, string>): Promise<{ status: number; body: HealthBody }> {
  const r = await get(p, '/health', headers);
  return { status: r.status, body: JSON.parse(r.body) as HealthBody };
}

/** Polls /health until `cond` holds (a fresh media worker takes a second or two to load). */
async function healthUntil(
  p: Platform,
  cond: (r: { status: number; body: HealthBody }) => boolean,
  timeoutMs = 20000,
  headers?: Record<string, string>,
) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await health(p, headers);
    if (cond(r)) return r;
    if (Date.now() > end) throw new Error(`health never matched; last ${r.status} ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** The media server's worker threads, reached the way an operator's crash would: from outside its API. */
function killWorker(p: Platform, index: number): Promise<number> {
  const handles = (p.media as unknown as { workers: { index: number; worker: { terminate(): Promise<number> } }[] }).workers;
  return handles.find((h) => h.index === index)!.worker.terminate();
}

t.test('public /health: bare ok when healthy, details only with the token', async (t) => {
  const p = await startLocalPlatform(t, { http: { healthToken: TOKEN } });
  const ok = await healthUntil(p, (r) => r.status === 200);
  t.same(ok.body, { status: 'ok' }, 'anyone gets a bare liveness answer, no counts');
  const wrong = await health(p, { authorization: 'Bearer not-the-token-at-all-000' });
  t.same(wrong.body, { status: 'ok' }, 'a wrong token gets no details');
  const full = await health(p, { authorization: `Bearer ${TOKEN}` });
  t.equal(full.status, 200);
  t.equal(full.body.calls, 0, 'the token shows the call count');
  t.same(full.body.media?.workers, [{ index: 0, state: 'ready', restarts: 0 }], 'and each media worker');
  t.equal(full.body.sip?.connected, true, 'and the SIP link');
});

t.test('http.healthDetails: true shows the details to anyone', async (t) => {
  const p = await startLocalPlatform(t, { http: { healthDetails: true } });
  const r = await healthUntil(p, (x) => x.status === 200);
  t.equal(r.body.calls, 0);
  t.equal(r.body.media?.workers.length, 1);
});

t.test('a killed media worker makes /health 503 naming it, until its replacement serves', async (t) => {
  const p = await startLocalPlatform(t, { http: { healthToken: TOKEN } });
  await healthUntil(p, (r) => r.status === 200);
  const died = once(p.media, 'worker-died');
  await killWorker(p, 0);
  await died;
  const down = await health(p);
  t.equal(down.status, 503, 'unhealthy while the worker is gone');
  t.equal(down.body.status, 'failing');
  t.match(down.body.failing, [/^media worker 0 (down|starting)$/], 'names the failing worker');
  t.notOk('calls' in down.body, 'still no details without the token');
  const back = await healthUntil(p, (r) => r.status === 200, 30000, { authorization: `Bearer ${TOKEN}` });
  t.same(
    back.body.media?.workers,
    [{ index: 0, state: 'ready', restarts: 1 }],
    'healthy again once the new worker answers; the restart is counted',
  );
});

t.test('a lost connection to the SIP server makes /health 503', async (t) => {
  const p = await startLocalPlatform(t);
  await healthUntil(p, (r) => r.status === 200);
  await p.sipServer!.close();
  const r = await healthUntil(p, (x) => x.status === 503, 10000);
  t.same(r.body, { status: 'failing', failing: ['sip server disconnected'] });
});

t.test('source maps under /test-phone/ are 404 by default, served only with http.sourceMaps', async (t) => {
  const p = await startLocalPlatform(t);
  t.equal((await get(p, '/test-phone/phone.js')).status, 200, 'the bundle itself is served');
  t.equal((await get(p, '/test-phone/phone.js.map')).status, 404, 'its map is not');
  t.equal((await get(p, '/test-phone/phone.js%2Emap')).status, 404, 'not even percent-encoded');
  t.equal((await get(p, '/test-phone/PHONE.JS.MAP')).status, 404);
  const withMaps = await startLocalPlatform(t, { http: { sourceMaps: true } });
  const map = await get(withMaps, '/test-phone/phone.js.map');
  t.equal(map.status, 200, 'served when asked for');
  t.match(map.body, /"sources"/);
});
