/**
 * The visitor widget's chat mode (Aurion) in headless Chromium, on the whole platform: a customer's
 * page on another local origin (`http://localhost:<port>`, in the widget's allowed domains) carries
 * Aurion's embed with the visitor its server signed (`data-email-token`); the same page served as
 * `http://127.0.0.1:<port>` is outside the allowed domains. What the visitor types is read back
 * through the project's API; the agent's replies go in through that API and must show in the page
 * while it is open; a reload shows the conversation again; an attachment is uploaded through the
 * page's file picker and shown. One platform and one browser for the file; a fresh context per subtest.
 *
 * Requires `npm run build` (the visitor bundle in dist/widget).
 */
import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startTestPlatform } from '../helpers/platform.js';
import { ChromiumPool } from '../helpers/chromium.js';
import { screenshot } from '../helpers/screenshots.js';
import { untilOrThrow } from '../helpers/wait.js';
import { signEmailToken } from '../../src/widgets/email-token.js';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, '..', '..', 'widget', 'visitor', 'visitor.js')))
  throw new Error('widget bundles missing: run npm run build first');

t.setTimeout(180000);

const COLOUR = '#7C3AED';
/** A real 8×8 PNG, red (the page decodes it: a broken image has no natural size). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8CAFWEXHbQSACj/P8Fu7N9hAAAAAElFTkSuQmCC',
  'base64',
);
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56)]);

const browsers = new ChromiumPool(t);
const tp = await startTestPlatform(t);
const base = `http://${tp.platform.http.host}:${tp.platform.http.port}`;

async function api(token: string, path: string, body?: unknown, method = body ? 'POST' : 'GET') {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const project = (await tp.platform.store.projects.first())!;
const { token } = await tp.platform.store.apiTokens.create(project.id);
const config = await api(
  token,
  '/api/v1/voice-widget/config',
  { greeting: 'Talk or chat with the shop', primary_color: COLOUR, allowed_domains: ['localhost'], modes: ['voice', 'chat'] },
  'PUT',
);
const widgetId = config.widget_id as string;
const secret = config.secret as string;
// (an assertion at the top level would let tap end the root test, and tear the platform down, while the setup goes on)
if (!secret) throw new Error('the widget secret is shown when the widget is made');

const emailToken = (email: string, key = secret): string => signEmailToken(key, email, Math.floor(Date.now() / 1000) + 3600);

// A second project's widget that only chats (`?w=chat` on the site), written by `/widget/<id>.js`.
const chatShop = await tp.platform.store.projects.create('chat shop');
const { token: chatToken } = await tp.platform.store.apiTokens.create(chatShop.id);
const chatOnly = await api(
  chatToken,
  '/api/v1/voice-widget/config',
  { greeting: 'Chat with the shop', primary_color: COLOUR, allowed_domains: ['localhost'], modes: ['chat'] },
  'PUT',
);

/**
 * The customer's site: Aurion's embed with the visitor the site's server signed (`?email=`), or
 * none (a visitor who has not signed in).
 */
const site = createServer((req, res) => {
  const q = new URL(req.url ?? '/', 'http://site').searchParams;
  const email = q.get('email');
  const chat = q.get('w') === 'chat';
  const key = chat ? (chatOnly.secret as string) : secret;
  const who = email
    ? ` data-email-token="${emailToken(email, key)}" data-display-name="${(q.get('name') ?? 'Jane Smith').replace(/"/g, '')}"`
    : '';
  const tag = chat
    ? `<script src="${base}/widget/${chatOnly.widget_id as string}.js"${who}></script>`
    : `<script src="${base}/api/v1/voice-widget/embed/aurion.js" data-widget-id="${widgetId}"${who} async></script>`;
  res.setHeader('content-type', 'text/html');
  res.end(`<!doctype html><html><head><title>Shop</title></head>
<body style="margin:0;background:#fafafa;font:16px sans-serif"><h1 style="padding:20px">Shoes and more</h1>
${tag}</body></html>`);
});
await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => site.close(() => resolve())));
const sitePort = (site.address() as AddressInfo).port;
const allowedOrigin = `http://localhost:${sitePort}`;
const disallowedOrigin = `http://127.0.0.1:${sitePort}`;

// ---- page helpers (page code goes as text: the test's tsconfig has no DOM types) ----

const chatState = (page: Page): Promise<string | null> =>
  page.evaluate(
    `document.getElementById('switchboard-visitor')?.shadowRoot.querySelector('.chat')?.dataset.chat ?? null`,
  ) as Promise<string | null>;

async function waitChat(page: Page, state: string): Promise<void> {
  await untilOrThrow(`chat state ${state}`, async () => (await chatState(page)) === state, { timeoutMs: 15000, intervalMs: 50 });
}

/** The conversation as the page shows it: [sender, text] in display order. */
const shown = (page: Page): Promise<[string, string][]> =>
  page.evaluate(`[...document.getElementById('switchboard-visitor').shadowRoot.querySelectorAll('.msg')]
    .map((m) => [m.dataset.sender, m.querySelector('.text')?.textContent ?? ''])`) as Promise<[string, string][]>;

async function openSite(t: Test, url: string): Promise<{ page: Page; settingsStatus: Promise<number> }> {
  const harness = await browsers.harness(t);
  const page = await harness.newPage();
  await page.setViewportSize({ width: 900, height: 640 });
  // Aurion's runtime script is the same for every page; the widget's settings are what a page is refused
  const settingsStatus = page
    .waitForResponse((r) => r.url().includes(`/widget/${widgetId}/config`), { timeout: 15000 })
    .then((r) => r.status());
  await page.goto(url);
  return { page, settingsStatus };
}

/** Runs in the page: how wide the picture decoded (0 while not loaded or broken). */
const naturalWidth = (img: unknown): number => (img as { naturalWidth: number }).naturalWidth;

async function openChat(page: Page): Promise<void> {
  const launcher = page.locator('button.launcher');
  await launcher.waitFor({ state: 'visible' });
  await launcher.click();
  await page.locator('button.tab[data-mode="chat"]').click();
  await waitChat(page, 'ready');
}

async function typeAndSend(page: Page, text: string): Promise<void> {
  await page.locator('form.compose textarea').fill(text);
  await page.locator('form.compose textarea').press('Enter');
}

async function sessions(): Promise<{ session_id: string; display_name: string; email: string }[]> {
  return (await api(token, `/api/v1/widget/sessions?widget_id=${widgetId}`)).sessions as {
    session_id: string;
    display_name: string;
    email: string;
  }[];
}

async function messagesOf(sessionId: string) {
  return (await api(token, `/api/v1/widget/sessions/${sessionId}/messages`)).messages as {
    id: number;
    sender: string;
    content: string;
    attachment: { upload_id: string; file_name: string; content_type: string } | null;
  }[];
}

async function shot(t: Test, page: Page, name: string): Promise<void> {
  const { stats } = await screenshot(page, `visitor-chat-${name}`, [COLOUR]);
  t.ok(
    stats.colours > 20 && stats.shares[0]! > 0.002,
    `screenshot ${name}: not blank (${stats.colours} colours, ${(stats.shares[0]! * 100).toFixed(2)} % widget colour)`,
  );
}

// ---- the tests ----

t.test('a page outside the allowed domains gets nothing: no script, no session, no socket', async (t) => {
  const { page, settingsStatus } = await openSite(t, `${disallowedOrigin}/?email=mallory@example.com`);
  t.equal(await settingsStatus, 403, "the widget's settings are refused to the page");
  await page.waitForLoadState('load');
  t.equal(await page.evaluate(`document.getElementById('switchboard-visitor') === null`), true, 'no launcher in the DOM');
  // the page tries the chat API itself, with a token its server signed for the widget
  const session = (await page.evaluate(
    `fetch(${JSON.stringify(`${base}/api/v1/widget/session`)}, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ widget_id: ${JSON.stringify(widgetId)}, email_token: ${JSON.stringify(emailToken('mallory@example.com'))},
      display_name: 'Mallory' }) }).then(async (r) => ({ status: r.status, body: await r.json() }), (e) => ({ blocked: String(e) }))`,
  )) as { status?: number; body?: Record<string, unknown>; blocked?: string };
  t.ok(session.blocked, `a session asked from the page gets the page nothing (${session.blocked})`);
  const refused = await fetch(`${base}/api/v1/widget/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: disallowedOrigin },
    body: JSON.stringify({ widget_id: widgetId, email_token: emailToken('mallory@example.com'), display_name: 'Mallory' }),
  });
  t.equal(refused.status, 403, 'the server answers that origin 403');
  t.notOk(((await refused.json()) as { token?: string }).token, 'with no token');
  // a session token obtained elsewhere does not open the socket from this page either
  const res = await fetch(`${base}/api/v1/widget/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: allowedOrigin },
    body: JSON.stringify({ widget_id: widgetId, email_token: emailToken('mallory@example.com'), display_name: 'Mallory' }),
  });
  const { token: stolen, session_id } = (await res.json()) as { token: string; session_id: string };
  await api(token, `/api/v1/widget/sessions/${session_id}/messages`, { content: 'for Mallory only' });
  const socket = (await page.evaluate(`new Promise((resolve) => {
    const frames = [];
    const ws = new WebSocket(${JSON.stringify(`${base.replace('http', 'ws')}/api/v1/widget/ws?token=${stolen}`)});
    ws.onmessage = (e) => frames.push(String(e.data));
    ws.onclose = (e) => resolve({ opened: ws.readyState, frames, code: e.code });
    setTimeout(() => resolve({ frames, timeout: true }), 5000);
  })`)) as { frames: string[]; code?: number; timeout?: boolean };
  t.notOk(socket.timeout, 'the socket is refused (closed at once)');
  t.same(socket.frames, [], 'no frame reaches the page');
  const history = (await page.evaluate(
    `fetch(${JSON.stringify(`${base}/api/v1/widget/history`)}, { headers: { authorization: 'Bearer ${stolen}' } })
      .then((r) => r.text(), () => 'blocked')`,
  )) as string;
  t.equal(history, 'blocked', 'nor does the history reach the page with a good token');
  const historyRefused = await fetch(`${base}/api/v1/widget/history`, {
    headers: { authorization: `Bearer ${stolen}`, origin: disallowedOrigin },
  });
  t.equal(historyRefused.status, 403, 'the server answers that origin 403 even with a good token');
});

t.test('a visitor not signed in on the site is told so, and cannot send', async (t) => {
  const { page } = await openSite(t, `${allowedOrigin}/`);
  await page.locator('button.launcher').click();
  await page.locator('button.tab[data-mode="chat"]').click();
  await waitChat(page, 'signed-out');
  t.match(await page.locator('p.chat-status').textContent(), /Sign in/);
  t.equal(await page.locator('form.compose button.send').isDisabled(), true, 'Send is disabled');
  t.equal(await page.evaluate('window.PolyphoneAPI.getChatSession()'), null, 'no session was opened');
});

t.test('chat beside voice: the visitor types, the agent replies live, an attachment, a reload shows the history', async (t) => {
  const before = (await sessions()).length;
  const { page, settingsStatus } = await openSite(t, `${allowedOrigin}/?email=jane@example.com&name=Jane%20Smith`);
  t.equal(await settingsStatus, 200, "the widget's settings are served to the allowed page");
  await page.locator('button.launcher').click();
  t.same(
    await page.evaluate(
      `[...document.getElementById('switchboard-visitor').shadowRoot.querySelectorAll('button.tab')].map((b) => b.textContent)`,
    ),
    ['Call', 'Chat'],
    "the widget's modes, voice first as configured",
  );
  t.equal(await page.locator('button[data-action="call"]').isVisible(), true, 'the call pane is shown first');
  await page.locator('button.tab[data-mode="chat"]').click();
  await waitChat(page, 'ready');
  t.equal(await page.locator('button[data-action="call"]').isVisible(), false, 'the chat pane replaces it');

  // the visitor types; the project's API sees the session and the message
  await typeAndSend(page, 'I need help resetting my password');
  await untilOrThrow('the message shown', async () => (await shown(page)).length === 1);
  const list = await sessions();
  t.equal(list.length, before + 1, 'one session opened');
  const session = list[0]!;
  t.match(session, { email: 'jane@example.com', display_name: 'Jane Smith' }, 'for the visitor the site signed');
  t.equal(await page.evaluate('window.PolyphoneAPI.getChatSession()'), session.session_id);
  t.same(
    (await messagesOf(session.session_id)).map((m) => [m.sender, m.content]),
    [['visitor', 'I need help resetting my password']],
    'the project reads what the visitor typed',
  );
  t.equal(await page.locator('form.compose textarea').inputValue(), '', 'the box is cleared once sent');

  // an agent's reply through the API appears in the open page, no reload
  await page.evaluate(`window.__heard = []; window.PolyphoneAPI.onMessage((m) => window.__heard.push(m))`);
  const sentAt = Date.now();
  await api(token, `/api/v1/widget/sessions/${session.session_id}/messages`, {
    content: 'I can help you reset your password. Let me look up your account.',
    author: 'Sam from Support',
  });
  await page.locator('.msg.agent').waitFor({ state: 'visible', timeout: 5000 });
  t.comment(`agent reply shown ${Date.now() - sentAt} ms after the API call`);
  t.same(
    await page.evaluate(`window.__heard.map((m) => [m.sender, m.content])`),
    [['agent', 'I can help you reset your password. Let me look up your account.']],
    'onMessage hears it',
  );
  t.equal(await page.locator('.msg.agent .author').textContent(), 'Sam from Support', "with the agent's name");
  await shot(t, page, 'conversation');

  // markup typed by the visitor is text, not markup
  await typeAndSend(page, '<img src=x onerror="window.__pwned=1">');
  await untilOrThrow('the markup message shown', async () => (await shown(page)).length === 3);
  t.equal((await shown(page))[2]![1], '<img src=x onerror="window.__pwned=1">', 'shown as typed');
  t.equal(await page.evaluate('window.__pwned === undefined'), true, 'and never run');

  // an attachment through the file picker: uploaded, sent as a message, shown as a picture
  await page
    .locator('form.compose input[type="file"]')
    .setInputFiles({ name: 'screenshot.png', mimeType: 'image/png', buffer: PNG });
  const img = page.locator('.msg.visitor .attachment img');
  await img.waitFor({ state: 'attached', timeout: 10000 });
  await untilOrThrow('the picture decoded', async () => (await img.evaluate(naturalWidth)) === 8);
  t.pass('the attachment is shown as the picture it is (8 px wide)');
  const withFile = (await messagesOf(session.session_id)).at(-1)!;
  t.match(withFile.attachment, { file_name: 'screenshot.png', content_type: 'image/png' }, 'the project sees the attachment');
  const file = await fetch(`${base}/api/v1/widget/uploads/${withFile.attachment!.upload_id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.same(Buffer.from(await file.arrayBuffer()), PNG, 'the bytes the visitor picked');
  await shot(t, page, 'attachment');

  // a file the chat does not take: the server's reason is shown, nothing is sent
  const count = (await messagesOf(session.session_id)).length;
  await page
    .locator('form.compose input[type="file"]')
    .setInputFiles({ name: 'tool.exe', mimeType: 'application/octet-stream', buffer: ELF });
  await untilOrThrow('the refusal shown', async () => /only PNG/.test((await page.locator('p.chat-status').textContent()) ?? ''));
  t.equal((await messagesOf(session.session_id)).length, count, 'no message for a refused file');

  // a file over the server's limit is refused by the page itself: no upload is even tried
  let uploads = 0;
  page.on('request', (r) => {
    if (r.url().endsWith('/api/v1/widget/uploads')) uploads++;
  });
  const big = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)]);
  await page.locator('form.compose input[type="file"]').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: big });
  await untilOrThrow('the size refusal shown', async () =>
    /huge\.png is too large: files up to 5 MB/.test((await page.locator('p.chat-status').textContent()) ?? ''),
  );
  t.equal(uploads, 0, 'a file over upload_max_bytes never leaves the page');
  t.equal((await messagesOf(session.session_id)).length, count, 'and sends nothing');

  // a second tab of the same visitor follows the same conversation, both ways
  const other = await page.context().newPage();
  await other.goto(`${allowedOrigin}/?email=jane@example.com&name=Jane%20Smith`);
  await openChat(other);
  await untilOrThrow('the second tab shows the history', async () => (await shown(other)).length === 4);
  await typeAndSend(other, 'Sent from my other tab');
  await untilOrThrow('the first tab hears the second', async () =>
    (await shown(page)).some(([, s]) => s === 'Sent from my other tab'),
  );
  t.pass('a message sent in one tab shows in the other, live');
  await other.close();

  // a reload shows the whole conversation again, in the same session
  const expected = (await messagesOf(session.session_id)).map((m) => [m.sender, m.content]);
  await page.reload();
  await openChat(page);
  await untilOrThrow('the history after reload', async () => (await shown(page)).length === expected.length);
  t.same(await shown(page), expected, 'the history, in order, after a reload');
  t.equal((await sessions()).length, before + 1, 'the same session, not a new one');
  await untilOrThrow(
    'the attachment after reload',
    async () =>
      (await page
        .locator('.msg.visitor .attachment img')
        .evaluate(naturalWidth)
        .catch(() => 0)) === 8,
  );
  t.pass('the attachment is shown again after the reload');
  await api(token, `/api/v1/widget/sessions/${session.session_id}/messages`, { content: 'Anything else?' });
  await untilOrThrow('a reply after the reload', async () => (await shown(page)).at(-1)?.[1] === 'Anything else?');
  t.pass('and the reloaded page hears new replies live');
  await shot(t, page, 'history');

  // the project ends the session: the page says so and cannot send
  await api(token, `/api/v1/widget/sessions/${session.session_id}`, undefined, 'DELETE');
  await waitChat(page, 'ended');
  t.equal(await page.locator('form.compose button.send').isDisabled(), true, 'Send is disabled once the conversation ended');
});

t.test('a chat-only widget: a chat launcher, the conversation at once, no call pane', async (t) => {
  const harness = await browsers.harness(t);
  const page = await harness.newPage();
  await page.setViewportSize({ width: 900, height: 640 });
  await page.goto(`${allowedOrigin}/?w=chat&email=joe@example.com&name=Joe`);
  const launcher = page.locator('button.launcher');
  await launcher.waitFor({ state: 'visible' });
  t.equal(await launcher.getAttribute('aria-label'), 'Chat with us');
  t.equal(await page.locator('.panel').isVisible(), false, 'nothing pops up over the page');
  await launcher.click();
  await waitChat(page, 'ready');
  t.equal(await page.locator('.tabs').isVisible(), false, 'no Call / Chat switch');
  t.equal(await page.locator('button[data-action="call"]').isVisible(), false, 'no call button');
  await typeAndSend(page, 'Do you ship to Lyon?');
  await untilOrThrow('the message shown', async () => (await shown(page)).length === 1);
  const list = (await api(chatToken, '/api/v1/widget/sessions')).sessions as { session_id: string; email: string }[];
  t.match(list, [{ email: 'joe@example.com' }], "the chat shop's project has the session");
  const msgs = (await api(chatToken, `/api/v1/widget/sessions/${list[0]!.session_id}/messages`)).messages as {
    content: string;
  }[];
  t.same(
    msgs.map((m) => m.content),
    ['Do you ship to Lyon?'],
  );
  await shot(t, page, 'chat-only');
});
