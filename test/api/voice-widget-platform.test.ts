/**
 * The visitor widget's public endpoints on the whole platform with its default settings: visitor
 * session creation (the SIP credential) answers 429 with Retry-After at the sixth in a minute, and
 * the SIP WebSocket admits handshakes from the widgets' allowed domains (added at run time) while
 * refusing other pages' origins.
 */
import t from 'tap';
import WebSocket from 'ws';
import { WidgetOrigins } from '../../src/widgets/widget-origins.js';
import { startTestPlatform } from '../helpers/platform.js';
import { until } from '../helpers/wait.js';

t.setTimeout(90000);

t.test('WidgetOrigins: allowed hosts of voice widgets, read at most once per TTL', async (t) => {
  let now = 0;
  let reads = 0;
  let domains = ['shop.example', '*.brand.example'];
  const origins = new WidgetOrigins(
    {
      voiceDomains: async () => {
        reads++;
        return domains;
      },
    },
    5000,
    () => now,
  );
  t.equal(await origins.allows('https://shop.example'), true);
  t.equal(await origins.allows('http://shop.example:8080'), true, 'any port');
  t.equal(await origins.allows('https://eu.brand.example'), true, 'a subdomain under *.');
  t.equal(await origins.allows('https://brand.example.evil.test'), false);
  t.equal(await origins.allows('https://evil.test'), false);
  t.equal(await origins.allows('null'), false, 'an opaque origin');
  t.equal(await origins.allows('not a url'), false);
  t.equal(reads, 1, 'one read for all of them');
  domains = ['evil.test'];
  t.equal(await origins.allows('https://evil.test'), false, 'within the TTL the old list holds');
  now += 5000;
  t.equal(await origins.allows('https://evil.test'), true, 'after it, the new one');
  t.equal(reads, 2);
});

t.test('default limits and the SIP WebSocket origin rule, on the whole platform', async (t) => {
  const tp = await startTestPlatform(t, { config: { sip: { listen: ['udp:127.0.0.1:0', 'ws:127.0.0.1:0'] } } });
  const base = `http://${tp.platform.http.host}:${tp.platform.http.port}`;
  const project = (await tp.platform.store.projects.first())!;
  const { token } = await tp.platform.store.apiTokens.create(project.id);
  const call = async (path: string, method: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': token, 'content-type': 'application/json', ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  const app = await call('/v1/applications', 'POST', { name: 'bot', callback_url: 'https://93.184.216.34/flow' });
  const cfg = await call('/api/v1/voice-widget/config', 'PUT', {
    allowed_domains: ['shop.example'],
    target: { type: 'application', application_id: app.body.id },
  });
  const widgetId = cfg.body.widget_id as string;

  const session = () => call('/api/v1/voice-widget/token', 'POST', { widget_id: widgetId }, { origin: 'https://shop.example' });
  const first = await session();
  t.equal(first.status, 201);
  const wsUrl = first.body.ws_url as string;
  const wsPort = tp.platform.sipAddresses.find((a) => a.transport === 'ws')!.port;
  t.equal(wsUrl, `ws://127.0.0.1:${wsPort}`, "the credential names the platform's SIP WebSocket");
  for (let i = 2; i <= 5; i++) t.equal((await session()).status, 201, `session ${i}`);
  const sixth = await session();
  t.equal(sixth.status, 429, 'the sixth session creation in a minute (widgets.sessionsPerMinute defaults to 5)');
  const wait = Number(sixth.headers.get('retry-after'));
  t.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
  t.match(sixth.body, { error: /.+/ });

  /** The handshake's outcome: 'open', or the HTTP status it was refused with. */
  const handshake = (origin?: string): Promise<string | number> =>
    new Promise((resolve) => {
      const ws = new WebSocket(wsUrl, 'sip', origin ? { origin } : {});
      ws.once('open', () => {
        ws.close();
        resolve('open');
      });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('error', () => resolve('error'));
    });
  t.equal(await handshake('https://shop.example'), 'open', "a page on the widget's allowed domain");
  t.equal(await handshake(), 'open', 'a SIP phone (no Origin)');
  t.equal(await handshake('https://evil.test'), 403, 'any other page');
  await call('/api/v1/voice-widget/config', 'PUT', { allowed_domains: ['shop.example', 'evil.test'] });
  t.ok(
    await until(async () => (await handshake('https://evil.test')) === 'open', { timeoutMs: 15000, intervalMs: 250 }),
    'a domain added through the API is admitted soon after',
  );
  await call('/api/v1/voice-widget/config', 'PUT', { modes: ['chat'] });
  t.ok(
    await until(async () => (await handshake('https://shop.example')) === 403, { timeoutMs: 15000, intervalMs: 250 }),
    'a chat-only widget opens no SIP WebSocket to its pages',
  );
});
