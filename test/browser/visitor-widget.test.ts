/**
 * The visitor web-call widget in headless Chromium, on the whole platform: a customer's page on
 * another local origin (`http://localhost:<port>`, in the widget's allowed domains) carries the one
 * script tag; the same page served as `http://127.0.0.1:<port>` is outside them. The widget points
 * at an application whose call flow (a static JSON script on a loopback server) SAYs a sentence,
 * then RECORDs the caller: what the page hears is measured by a WebAudio analyser on the widget's
 * remote stream, and what the application heard is read from the recording (the fake microphone
 * plays 1 kHz). One platform and one browser for the file; a fresh context per subtest.
 *
 * Requires `npm run build` (the visitor bundle in dist/widget).
 */
import t, { type Test } from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { readWav } from '../../media/wav.js';
import { startTestPlatform } from '../helpers/platform.js';
import { ChromiumPool } from '../helpers/chromium.js';
import { screenshot } from '../helpers/screenshots.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { sleep, until, untilOrThrow } from '../helpers/wait.js';
import { toneTrack } from '../calls/phones.js';
import { CallbackServer } from '../flows/flow-fakes.js';
import { untilPage } from './page-wait.js';

const here = dirname(fileURLToPath(import.meta.url));
// The pages load the built bundles: without them every test here would fail for a reason that hides the real one.
if (!existsSync(join(here, '..', '..', 'widget', 'visitor', 'visitor.js')))
  throw new Error('widget bundles missing: run npm run build first');

t.setTimeout(240000);

const MIC_HZ = 1000;
const COLOUR = '#0E7C66';
const GREETING = 'Hello, and thank you for calling from our web site. How can we help you today?';

// ---- the rig: one platform, a call-flow server, a webhook receiver, a customer's page ----

const browsers = new ChromiumPool(t);
const flowServer = new CallbackServer();
await flowServer.start();
t.teardown(() => flowServer.close());
flowServer.json('/visitor.json', {
  actions: [
    { type: 'SAY', params: { text: GREETING } },
    // The caller is recorded until the call ends: the test reads what the application heard.
    { type: 'RECORD', name: 'visitor', params: { beep: false, max_length: 60000, timeout: 0 } },
    { type: 'HANGUP' },
  ],
});
const hooks = await WebhookReceiver.start(t);
const tp = await startTestPlatform(t, {
  config: {
    sip: { listen: ['udp:127.0.0.1:0', 'ws:127.0.0.1:0'] },
    webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true },
    webhooks: { allowPrivateTargets: true },
    // Every page here comes from 127.0.0.1: the limit itself is the HTTP test's.
    widgets: { sessionsPerMinute: 100 },
  },
});
// Test platforms start flite on their first sentence: warmed now, the first caller hears the SAY at once.
await tp.platform.tts.warmUp?.();
const base = `http://${tp.platform.http.host}:${tp.platform.http.port}`;
const recordingsDir = join(tp.dataDir, 'recordings');

async function api(token: string, path: string, body?: unknown, method = body ? 'POST' : 'GET') {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-api-key': token, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const project = (await tp.platform.store.projects.first())!;
const { token } = await tp.platform.store.apiTokens.create(project.id);
const app = await api(token, '/v1/applications', {
  name: 'web greeter',
  callback_url: flowServer.url('/visitor.json'),
  callback_method: 'GET',
});
const widget = await api(
  token,
  '/api/v1/voice-widget/config',
  {
    greeting: 'Talk to the shop',
    primary_color: COLOUR,
    allowed_domains: ['localhost'],
    consent_required: true,
    consent_text: 'This call is recorded to help us serve you. Do you agree?',
    target: { type: 'application', application_id: app.id },
  },
  'PUT',
);
const widgetId = widget.widget_id as string;
await api(token, '/api/v1/webhooks', { url: hooks.url, events: ['phone_call.info'] });

// A second project's widget whose application has no callback URL: its calls are refused (480).
const other = await tp.platform.store.projects.create('broken shop');
const { token: otherToken } = await tp.platform.store.apiTokens.create(other.id);
const deadApp = await api(otherToken, '/v1/applications', { name: 'unfinished' });
const deadWidget = await api(
  otherToken,
  '/api/v1/voice-widget/config',
  { allowed_domains: ['localhost'], target: { type: 'application', application_id: deadApp.id } },
  'PUT',
);

/**
 * The customer's site: `/?w=<widget id>` is a page with the one script tag; `&aurion=1` uses
 * Aurion's embed (the runtime with `data-widget-id`, settings fetched by the page).
 */
const site = createServer((req, res) => {
  const q = new URL(req.url ?? '/', 'http://site').searchParams;
  const id = encodeURIComponent(q.get('w') ?? widgetId);
  const tag = q.has('aurion')
    ? `<script src="${base}/api/v1/voice-widget/embed/aurion.js" data-widget-id="${id}" async></script>`
    : `<script src="${base}/widget/${id}.js"></script>`;
  res.setHeader('content-type', 'text/html');
  res.end(`<!doctype html><html><head><title>Shop</title></head>
<body style="margin:0;background:#fafafa;font:16px sans-serif"><h1 style="padding:20px">Shoes and more</h1>
${tag}</body></html>`);
});
await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => site.close(() => resolve())));
const sitePort = (site.address() as AddressInfo).port;
const allowedPage = `http://localhost:${sitePort}/`;
const disallowedPage = `http://127.0.0.1:${sitePort}/`;

// ---- page helpers (page code goes as text: the test's tsconfig has no DOM types) ----

const widgetState = (page: Page): Promise<string | null> =>
  page.evaluate(`document.getElementById('switchboard-visitor')?.dataset.state ?? null`) as Promise<string | null>;
const statusText = (page: Page): Promise<string> =>
  page
    .locator('p.status')
    .textContent()
    .then((s) => s ?? '');

async function waitState(page: Page, state: string, timeoutMs = 20000): Promise<void> {
  await untilOrThrow(`widget state ${state}`, async () => (await widgetState(page)) === state, { timeoutMs, intervalMs: 50 });
}

/** Samples the RMS of what the widget plays (its remote stream) every 50 ms, from now on. */
const LISTEN = `(() => {
  const audio = document.getElementById('switchboard-visitor').shadowRoot.querySelector('audio');
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  ctx.createMediaStreamSource(audio.srcObject).connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const levels = [];
  setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let s = 0;
    for (const v of buf) s += v * v;
    levels.push(Math.sqrt(s / buf.length));
  }, 50);
  window.__heard = { levels, ctx };
})()`;
const heardLevels = (page: Page): Promise<number[]> => page.evaluate('window.__heard.levels.slice()') as Promise<number[]>;
/** Speech from TTS through Opus peaks far above this; silence and comfort noise stay under it. */
const SPEECH_RMS = 0.02;

async function heardSpeech(page: Page, who: string): Promise<number> {
  await page.evaluate(LISTEN);
  const heard = await until(async () => (await heardLevels(page)).filter((l) => l > SPEECH_RMS).length >= 10, {
    timeoutMs: 20000,
    intervalMs: 100,
  });
  if (!heard) {
    const levels = await heardLevels(page);
    const stats = await page.evaluate('window.PolyphoneAPI.getStats()');
    throw new Error(
      `${who}: no speech heard (max RMS ${Math.max(0, ...levels).toFixed(4)} over ${levels.length} samples, stats ${JSON.stringify(stats)}, ctx ${await page.evaluate('window.__heard.ctx.state')})`,
    );
  }
  const levels = await heardLevels(page);
  return levels.filter((l) => l > SPEECH_RMS).length * 50;
}

const flowRecordings = (): string[] =>
  existsSync(recordingsDir) ? readdirSync(recordingsDir).filter((f) => /^flow-.*\.wav$/.test(f)) : [];

async function openSite(t: Test, url: string): Promise<{ page: Page; scriptStatus: () => number | undefined }> {
  const harness = await browsers.harness(t, { micToneHz: MIC_HZ });
  const page = await harness.newPage();
  await page.setViewportSize({ width: 900, height: 640 });
  let status: number | undefined;
  page.on('response', (r) => {
    if (r.url().includes('/widget/') && r.url().endsWith('.js')) status = r.status();
  });
  page.on('requestfailed', (r) => {
    if (r.url().includes('/widget/')) t.comment(`request failed ${r.url()}: ${r.failure()?.errorText}`);
  });
  await page.goto(url);
  return { page, scriptStatus: () => status };
}

async function shot(t: Test, page: Page, name: string, colour = COLOUR): Promise<void> {
  const { stats } = await screenshot(page, `visitor-${name}`, [colour]);
  t.ok(
    stats.colours > 20 && stats.shares[0]! > 0.002,
    `screenshot ${name}: not blank (${stats.colours} colours, ${(stats.shares[0]! * 100).toFixed(2)} % widget colour)`,
  );
}

// ---- the tests ----

t.test('a page outside the allowed domains: the script is 403 and no launcher appears', async (t) => {
  const { page, scriptStatus } = await openSite(t, disallowedPage);
  t.equal(scriptStatus(), 403, 'the script request is refused');
  await page.waitForLoadState('load');
  t.equal(await page.evaluate(`document.getElementById('switchboard-visitor') === null`), true, 'no launcher in the DOM');
  t.equal(await page.evaluate('typeof window.PolyphoneAPI'), 'undefined', 'no PolyphoneAPI');
});

t.test('an allowed page: launcher, consent, a call to the application heard in the page, mute, end, screenshots', async (t) => {
  const { page, scriptStatus } = await openSite(t, allowedPage);
  t.equal(scriptStatus(), 200);
  const launcher = page.locator('button.launcher');
  await launcher.waitFor({ state: 'visible' });
  const box = (await launcher.boundingBox())!;
  t.ok(box.x > 900 - 120 && box.y > 640 - 120, `the launcher sits bottom-right (${box.x}, ${box.y})`);
  t.equal(await widgetState(page), 'idle');
  await shot(t, page, 'idle');

  await launcher.click();
  await page.locator('button[data-action="call"]').click();
  await waitState(page, 'consent');
  t.match(await statusText(page), 'This call is recorded', 'the consent text is shown before the microphone opens');
  await shot(t, page, 'consent');

  // Hold the credential request so that "connecting" stays on screen for its screenshot.
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => {
    release = r;
  });
  await page.route('**/api/v1/voice-widget/token', async (route) => {
    await held;
    await route.continue();
  });
  const before = flowRecordings();
  await page.locator('button[data-action="agree"]').click();
  await waitState(page, 'connecting');
  await shot(t, page, 'connecting');
  release();
  await waitState(page, 'in-call');
  t.equal(await statusText(page), 'In call');
  await shot(t, page, 'in-call');

  const speechMs = await heardSpeech(page, 'allowed page');
  t.ok(speechMs >= 500, `the page heard the application's SAY (${speechMs} ms above ${SPEECH_RMS} RMS)`);
  const init = await flowServer.waitFor('init_call', 10000);
  t.equal(init.fields.api_no, widgetId, "the flow's init_call names the widget as the number called");

  // RECORD starts when the SAY is over: then the far end hears the microphone, muted or not.
  await untilOrThrow('the flow recording', () => flowRecordings().length > before.length, { timeoutMs: 30000 });
  const file = flowRecordings().find((f) => !before.includes(f))!;
  await sleep(2000); // unmuted span: the tone must be in the recording
  await page.locator('button[data-action="mute"]').click();
  t.equal(await page.locator('button[data-action="mute"]').textContent(), 'Unmute');
  await sleep(2500); // muted span: nothing
  await page.locator('button[data-action="mute"]').click();
  await sleep(2000); // unmuted again
  await page.locator('button[data-action="end"]').click();
  await waitState(page, 'ended');
  t.match(await statusText(page), 'Call ended');
  await shot(t, page, 'ended');

  await flowServer.waitFor('call_ended', 15000);
  const wav = readWav(join(recordingsDir, file));
  const track = toneTrack({ samples: wav.samples[0]!, rate: wav.sampleRate }, MIC_HZ, 100);
  const loud = track.map((a) => a > 1000);
  // the longest quiet run, and tone on both sides of it
  let best = { start: 0, len: 0 };
  for (let i = 0; i < loud.length; ) {
    if (loud[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < loud.length && !loud[j]) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j;
  }
  const toneBefore = loud.slice(0, best.start).filter(Boolean).length;
  const toneAfter = loud.slice(best.start + best.len).filter(Boolean).length;
  t.comment(`recording ${track.length / 10} s, quiet run ${best.len / 10} s at ${best.start / 10} s`);
  t.ok(toneBefore >= 10, `the application heard the microphone before mute (${toneBefore / 10} s)`);
  t.ok(best.len >= 18, `and nothing while muted (${best.len / 10} s quiet)`);
  t.ok(toneAfter >= 10, `and the microphone again after unmute (${toneAfter / 10} s)`);
});

t.test("PolyphoneAPI from the page's script; a second tab cannot call meanwhile; sendInfo reaches the application", async (t) => {
  const { page } = await openSite(t, allowedPage);
  await untilPage(page, 'window.PolyphoneAPI !== undefined', 30000);
  // Every seed event recorded in the page, through the on<Event> registrations.
  await page.evaluate(`(() => {
      window.__events = [];
      const names = ['Ready','Connecting','Connected','Disconnected','Registered','Unregistered','Ringing','Answered','Ended',
        'Failed','Muted','Unmuted','CaptureAudio','AudioEnded','InfoSent','InfoReceived','Transcription','Error'];
      for (const n of names) window.PolyphoneAPI['on' + n]((d) => window.__events.push(n[0].toLowerCase() + n.slice(1)));
      window.__dropped = 0;
      window.__drop = () => window.__dropped++;
      window.PolyphoneAPI.onMuted(window.__drop);
      window.PolyphoneAPI.off('muted', window.__drop);
    })()`);
  const events = (): Promise<string[]> => page.evaluate('window.__events.slice()') as Promise<string[]>;
  const P = <R>(expr: string): Promise<R> => page.evaluate(`(async () => ${expr})()`) as Promise<R>;
  t.ok((await events()).includes('ready'), 'onReady registered after the widget loaded still hears ready');
  t.equal(await P('window.PolyphoneAPI.isConnected()'), false);

  await P('window.PolyphoneAPI.connect()');
  t.equal(await P('window.PolyphoneAPI.isConnected()'), true, 'connect: connected to the SIP WebSocket');
  await until(async () => (await events()).includes('registered'), { timeoutMs: 10000 });
  t.match(await events(), ['ready', 'connecting', 'connected', 'registered'], 'connect fired its events in order');

  // connectAndCall shows the consent step first; the visitor agrees in the widget.
  await P('window.PolyphoneAPI.connectAndCall()');
  await waitState(page, 'consent');
  t.equal(await P('window.PolyphoneAPI.getCurrentSession()'), null, 'no session before consent');
  await page.locator('button[data-action="agree"]').click();
  await waitState(page, 'in-call');
  const session = await P<Record<string, unknown>>('window.PolyphoneAPI.getCurrentSession()');
  t.match(session, { state: 'in-call', sipState: 'Established', muted: false, widgetId }, 'getCurrentSession');
  t.ok((await events()).includes('answered') && (await events()).includes('captureAudio'), 'answered and captureAudio fired');
  const speechMs = await heardSpeech(page, 'API page');
  t.ok(speechMs >= 500, `the call is heard (${speechMs} ms of speech)`);

  // A second tab of the same visitor: the call lock is held, it shows why and calls nobody.
  const callsBefore = tp.platform.calls.size;
  const second = await page.context().newPage();
  await second.goto(allowedPage);
  await second.locator('button.launcher').click();
  await second.locator('button[data-action="call"]').click();
  await waitState(second, 'consent');
  await second.locator('button[data-action="agree"]').click();
  await waitState(second, 'blocked');
  t.match(await statusText(second), 'already active in another tab', 'the second tab says why');
  t.equal(tp.platform.calls.size, callsBefore, 'and placed no call');
  await shot(t, second, 'blocked');

  // sendInfo: a SIP INFO in the call, delivered as a signed webhook and into the flow's session data.
  await P(`window.PolyphoneAPI.sendInfo('user_signed_in', { userId: 'abc123' })`);
  t.ok((await events()).includes('infoSent'), 'infoSent fired');
  const deliveries = await hooks.until((d) => d.some((x) => x.envelope.type === 'phone_call.info'), 15000);
  const info = deliveries.find((x) => x.envelope.type === 'phone_call.info')!;
  t.match(info.envelope.data, {
    status: 'in-progress',
    to: widgetId,
    info: { event: 'user_signed_in', data: { userId: 'abc123' }, sender: 'caller' },
  });
  t.match(info.headers['switchboard-signature'], /^t=\d+,v1=[0-9a-f]{64}$/, 'signed');
  const refused = await P<string>(
    `window.PolyphoneAPI.sendInfo('x', 'y'.repeat(5000)).then(() => 'sent', (e) => String(e && e.message || e))`,
  );
  t.not(refused, 'sent', `an oversized INFO is refused by the server (${refused})`);

  await P('window.PolyphoneAPI.mute()');
  t.match(await P('window.PolyphoneAPI.getCurrentSession()'), { muted: true });
  await P('window.PolyphoneAPI.unmute()');
  t.equal(await page.evaluate('window.__dropped'), 0, 'off() removed its handler');
  t.ok((await events()).includes('muted') && (await events()).includes('unmuted'), 'muted and unmuted fired');

  const ended = flowServer.received.filter((r) => r.fields.type === 'call_ended').length;
  await P('window.PolyphoneAPI.endCall()');
  await waitState(page, 'ended');
  await untilOrThrow(
    'the final callback',
    () => flowServer.received.filter((r) => r.fields.type === 'call_ended').length > ended,
    { timeoutMs: 15000 },
  );
  const final = flowServer.received.filter((r) => r.fields.type === 'call_ended').at(-1)!;
  // GET callbacks carry nested values in bracket notation
  t.equal(
    final.query.get('session_data[info][user_signed_in][userId]'),
    'abc123',
    "the flow's session data carries the INFO into the next callback",
  );
  t.ok((await events()).includes('ended') && (await events()).includes('audioEnded'), 'ended and audioEnded fired');

  // The lock is free again: the second tab can call now (it was agreed to in that tab already).
  await second.locator('button[data-action="call"]').click();
  await waitState(second, 'in-call');
  t.pass('the second tab calls once the first one hung up');
  await second.locator('button[data-action="end"]').click();
  await waitState(second, 'ended');

  await P('window.PolyphoneAPI.disconnect()');
  t.equal(await P('window.PolyphoneAPI.isConnected()'), false, 'disconnect');
  await P('window.PolyphoneAPI.destroy()');
  t.equal(await page.evaluate('typeof window.PolyphoneAPI'), 'undefined', 'destroy removes the API');
  t.equal(await page.evaluate(`document.getElementById('switchboard-visitor') === null`), true, 'and the launcher');
});

t.test("the hosted share page calls with no website, here through the widget's call-flow DID", async (t) => {
  // The widget now points at a number of the project whose application is the same flow.
  const DID = '+15550177';
  await tp.platform.store.numbers.assign(project.id, DID, { kind: 'application', applicationId: app.id as number });
  await api(token, '/api/v1/voice-widget/config', { target: { type: 'number', number: DID } }, 'PUT');
  const inits = flowServer.received.filter((r) => r.fields.type === 'init_call').length;
  const harness = await browsers.harness(t, { micToneHz: MIC_HZ });
  const page = await harness.newPage();
  const res = await page.goto(`${base}/widget/${widgetId}/call`);
  t.equal(res?.status(), 200);
  t.match(await page.locator('h1').textContent(), 'Talk to the shop');
  await page.locator('button.launcher').click();
  await page.locator('button[data-action="call"]').click();
  await page.locator('button[data-action="agree"]').click();
  await waitState(page, 'in-call');
  const speechMs = await heardSpeech(page, 'share page');
  t.ok(speechMs >= 500, `the share page hears the application (${speechMs} ms of speech)`);
  const init = flowServer.received.filter((r) => r.fields.type === 'init_call')[inits];
  t.equal(init?.fields.api_no, DID, 'the flow ran for the DID');
  await page.locator('button[data-action="end"]').click();
  await waitState(page, 'ended');
});

t.test('a widget whose application cannot answer: the error state', async (t) => {
  const { page } = await openSite(t, `${allowedPage}?w=${deadWidget.widget_id as string}`);
  await page.locator('button.launcher').click();
  await page.locator('button[data-action="call"]').click();
  await waitState(page, 'error');
  t.match(await statusText(page), '480', 'the refusal is shown');
  await shot(t, page, 'error', '#6366F1');
});

t.test("Aurion's embed (data-widget-id): a launcher on an allowed page, none on another", async (t) => {
  const harness = await browsers.harness(t, { micToneHz: MIC_HZ });
  const allowed = await harness.newPage();
  await allowed.goto(`${allowedPage}?aurion=1`);
  await allowed.locator('button.launcher').waitFor({ state: 'visible' });
  t.equal(await widgetState(allowed), 'idle', 'the launcher is up with the settings fetched for the page');
  t.equal(await allowed.evaluate('typeof window.PolyphoneAPI.connectAndCall'), 'function');
  const refused = await harness.newPage();
  const warnings: string[] = [];
  refused.on('console', (m) => warnings.push(m.text()));
  const settings = refused.waitForResponse((r) => r.url().includes(`/widget/${widgetId}/config`));
  await refused.goto(`${disallowedPage}?aurion=1`);
  t.equal((await settings).status(), 403, 'the settings are refused to a page outside the allowed domains');
  await refused.waitForLoadState('load');
  t.equal(await refused.evaluate(`document.getElementById('switchboard-visitor') === null`), true, 'no launcher');
  t.ok(
    await until(() => warnings.some((w) => w.includes('not an allowed domain')), { timeoutMs: 5000 }),
    `the console says why (${warnings.join(' | ')})`,
  );
});
