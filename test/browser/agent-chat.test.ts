/**
 * The agent softphone's chat panel in headless Chromium, on the whole platform: the widget URL of a
 * minted `voywt_` session is opened full-page; a visitor opens a chat session and writes through
 * the visitor API while the page is open, and the conversation and its message appear in the
 * panel live (another project's visitor never does); the agent opens it, types a reply and sends
 * it, and the visitor's own /api/v1/widget/ws socket receives it with sender agent and the agent's
 * label, as its history does. Files go both ways: the agent saves the visitor's file and picks a
 * picture with the paperclip, which the visitor downloads and the thread shows. Revoking the
 * widget session disables the panel's reply box.
 *
 * Requires `npm run build` (the agent bundles in dist/widget).
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { startTestPlatform } from '../helpers/platform.js';
import { ChromiumPool } from '../helpers/chromium.js';
import { screenshot } from '../helpers/screenshots.js';
import { untilOrThrow } from '../helpers/wait.js';
import { untilPage } from './page-wait.js';
import { signEmailToken } from '../../src/widgets/email-token.js';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, '..', '..', 'widget', 'agent', 'softphone.js')))
  throw new Error('widget bundles missing: run npm run build first');

t.setTimeout(120000);

const SITE = 'http://shop.example';
/** A real 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const browsers = new ChromiumPool(t);
const tp = await startTestPlatform(t);
const base = `http://${tp.platform.http.host}:${tp.platform.http.port}`;

async function call(token: string, path: string, body?: unknown, method = body ? 'POST' : 'GET', headers = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A project with a chat widget on the shop's site, and its API token. */
async function chatProject(name: string) {
  const project = await tp.platform.store.projects.create(name);
  const { token } = await tp.platform.store.apiTokens.create(project.id);
  const config = await call(
    token,
    '/api/v1/voice-widget/config',
    { greeting: 'Chat with us', allowed_domains: ['shop.example'], modes: ['chat'] },
    'PUT',
  );
  return { token, widgetId: config.widget_id as string, secret: config.secret as string };
}

/** A visitor as the shop's page would open one (its server signed the email). */
async function visitor(shop: { widgetId: string; secret: string }, email: string, name: string) {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const res = await fetch(`${base}/api/v1/widget/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: SITE, referer: `${SITE}/help` },
    body: JSON.stringify({ widget_id: shop.widgetId, email_token: signEmailToken(shop.secret, email, exp), display_name: name }),
  });
  if (res.status !== 201) throw new Error(`visitor session: ${res.status} ${await res.text()}`);
  const s = (await res.json()) as { session_id: string; token: string };
  const page = { origin: SITE, referer: `${SITE}/help` };
  return {
    ...s,
    say: (content: string) => call(s.token, '/api/v1/widget/messages', { content }, 'POST', page),
    history: () => call(s.token, '/api/v1/widget/history', undefined, 'GET', page),
  };
}

/** Every WebSocket the page opens, with whether it is open (the chat's among them). */
const WS_LOG = `(() => {
  const Native = WebSocket;
  window.wsLog = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      const entry = { url: String(args[0]), open: false };
      window.wsLog.push(entry);
      this.addEventListener('open', () => { entry.open = true; });
      this.addEventListener('close', () => { entry.open = false; });
    }
  };
})();`;

t.test("a visitor's message appears in the softphone live and the agent's typed reply reaches the visitor", async (t) => {
  const shop = await chatProject('shop');
  const elsewhere = await chatProject('elsewhere');
  const minted = await call(shop.token, '/v1/agent-widget/session', { agentEmail: 'ann@shop.example', displayName: 'Ann Agent' });
  const harness = await browsers.harness(t);
  const page = await harness.newPage();
  await page.addInitScript({ content: WS_LOG });
  // the size a customer's inline frame usually gives the softphone
  await page.setViewportSize({ width: 320, height: 480 });
  await page.goto(minted.widgetUrl as string);
  await page.locator('.sp-chat-toggle').waitFor();
  t.same(
    await page.evaluate(`window.wsLog.filter((w) => w.url.includes('/v1/agent-widget/ws')).length`),
    0,
    'a softphone whose chat was never opened holds no chat socket',
  );
  await page.click('.sp-chat-toggle');
  await untilPage(page, `window.wsLog.some((w) => w.url.includes('/v1/agent-widget/ws') && w.open)`);
  await page.waitForSelector('.sp-chat-empty', { state: 'visible' });

  // both visitors arrive and write while the softphone is open
  const stranger = await visitor(elsewhere, 'max@example.com', 'Max');
  await stranger.say('for another company');
  const jane = await visitor(shop, 'jane@example.com', 'Jane');
  const janeWs = new WebSocket(`${base.replace('http', 'ws')}/api/v1/widget/ws?token=${jane.token}`, { origin: SITE });
  t.teardown(() => janeWs.terminate());
  const frames: Record<string, unknown>[] = [];
  janeWs.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>));
  await untilOrThrow("the visitor's socket", () => frames.some((f) => f.type === 'ready'));
  const item = page.locator(`.sp-chat-item[data-session="${jane.session_id}"]`);
  await item.waitFor({ state: 'visible' });
  t.match(await item.textContent(), /Jane/, 'the new conversation is listed live');
  const sent = Date.now();
  await jane.say('Where is my parcel? <b>now</b>');
  await page
    .locator(`.sp-chat-item[data-session="${jane.session_id}"] .sp-chat-preview`, { hasText: 'Where is my parcel?' })
    .waitFor();
  t.comment(`visitor message → softphone list: ${Date.now() - sent} ms`);
  t.equal(await page.locator('.sp-chat-badge').textContent(), '1', 'one unread message on the toggle');
  t.equal(
    await page.locator(`.sp-chat-item[data-session="${stranger.session_id}"]`).count(),
    0,
    "another project's visitor is not listed",
  );
  t.equal(await page.locator('.sp-chat-item').count(), 1);

  await item.click();
  const msg = page.locator('.sp-chat-msg[data-sender="visitor"] .sp-chat-text');
  await msg.waitFor();
  t.equal(await msg.textContent(), 'Where is my parcel? <b>now</b>', 'the history shows what the visitor wrote, as text');
  t.equal(await page.locator('.sp-chat-msg b').count(), 0, 'no markup from the visitor');
  t.equal(await page.locator('.sp-chat-title').textContent(), 'Jane');
  const thread = await page.locator('.sp-chat-msgs').boundingBox();
  t.ok(
    thread && thread.height >= 60 && thread.y + thread.height <= 480,
    `the thread fits the 320×480 frame (${JSON.stringify(thread)})`,
  );

  await page.fill('.sp-chat-input', 'It left this morning.');
  const typed = Date.now();
  await page.click('.sp-chat-send');
  await untilOrThrow('the reply at the visitor', () => frames.some((f) => f.type === 'message' && f.sender === 'agent'));
  t.comment(`agent click → visitor socket: ${Date.now() - typed} ms`);
  t.match(
    frames.find((f) => f.type === 'message' && f.sender === 'agent'),
    {
      content: 'It left this morning.',
      author: 'Ann Agent',
      session_id: jane.session_id,
    },
  );
  await page.locator('.sp-chat-msg[data-sender="agent"]', { hasText: 'It left this morning.' }).waitFor();
  t.equal(await page.locator('.sp-chat-msg[data-sender="agent"]').count(), 1, 'the reply is shown once');
  t.equal(await page.inputValue('.sp-chat-input'), '', 'the box is cleared');
  const history = (await jane.history()).messages as { sender: string; author: string | null; content: string }[];
  t.same(
    history.map((m) => [m.sender, m.author, m.content]),
    [
      ['visitor', null, 'Where is my parcel? <b>now</b>'],
      ['agent', 'Ann Agent', 'It left this morning.'],
    ],
    "the visitor's history has the agent's reply",
  );
  // a message arriving while the conversation is open is shown in it at once
  await jane.say('Thanks!');
  await page.locator('.sp-chat-msg[data-sender="visitor"]', { hasText: 'Thanks!' }).waitFor();

  // files both ways: the visitor's text file is offered for download in the panel ...
  const fromSite = { origin: SITE, referer: `${SITE}/help` };
  const form = new FormData();
  form.append('file', new Blob([Buffer.from('order 1234\n')], { type: 'text/plain' }), 'order.txt');
  const up = await fetch(`${base}/api/v1/widget/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jane.token}`, ...fromSite },
    body: form,
  });
  const upload = (await up.json()) as { upload_id: string };
  await call(jane.token, '/api/v1/widget/messages', { content: '', attachment_id: upload.upload_id }, 'POST', fromSite);
  const save = page.locator('.sp-chat-msg[data-sender="visitor"] .sp-chat-download', { hasText: 'order.txt' });
  await save.waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), save.click()]);
  t.equal(download.suggestedFilename(), 'order.txt');
  t.equal(readFileSync(await download.path()).toString(), 'order 1234\n', "the agent saves the visitor's file");
  // ... and the agent's picture, picked with the paperclip, reaches the visitor and shows in the panel
  await page.setInputFiles('.sp-chat-file-input', { name: 'label.png', mimeType: 'image/png', buffer: PNG });
  await untilOrThrow('the picture at the visitor', () =>
    frames.some((f) => f.type === 'message' && f.sender === 'agent' && f.attachment !== null),
  );
  const picked = frames.find((f) => f.type === 'message' && f.sender === 'agent' && f.attachment !== null) as {
    attachment: { upload_id: string; file_name: string; content_type: string };
  };
  t.match(picked.attachment, { file_name: 'label.png', content_type: 'image/png' });
  const got = await fetch(`${base}/api/v1/widget/uploads/${picked.attachment.upload_id}`, {
    headers: { authorization: `Bearer ${jane.token}`, ...fromSite },
  });
  t.same(Buffer.from(await got.arrayBuffer()), PNG, 'the visitor downloads the bytes the agent picked');
  await untilPage(page, `document.querySelector('.sp-chat-msg[data-sender="agent"] img.sp-chat-img')?.naturalWidth === 1`, 5000);
  t.pass('the picture is shown in the thread');

  const { stats } = await screenshot(page, 'agent-chat-conversation');
  t.ok(stats.colours > 10, `the panel is drawn (${stats.colours} colours)`);
  t.equal(await page.locator('.sp-state').count(), 1, 'the call controls are still there');

  // revoked: the panel's socket is closed and the reply box refuses
  await call(shop.token, `/v1/agent-widget/session/${minted.id as number}`, undefined, 'DELETE');
  await untilPage(page, `document.querySelector('.sp-chat-input').disabled === true`, 5000);
  t.match(await page.locator('.sp-chat-status').textContent(), /session has ended/);
});
