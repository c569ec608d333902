/**
 * Visitor chat attachments over real HTTP (curl as the seed calls it, and fetch's FormData): types
 * decided by the bytes, size limit, random names under DATA_DIR whatever the file is called,
 * downloads only by the session or its project, attachments on messages, 30 uploads a minute.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { json, startTestApi, type TestApi } from '../helpers/api.js';
import type { Widget } from '../../src/store/index.js';
import { signEmailToken } from '../../src/widgets/email-token.js';
import { CHAT_LIMITS } from '../../src/widgets/visitor-chat.js';

t.setTimeout(90000);

const PAGE = 'https://help.shop.example';
const MAX = 64 * 1024;
/** A real 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56)]);
const ZIP = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]), Buffer.alloc(30)]);
const HTML = Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>');

async function setup(t: Test, limits = { sessionsPerMinute: 1000, messagesPerMinute: 1000, uploadsPerMinute: 1000 }) {
  const api = await startTestApi(t, { uploadMaxBytes: MAX, chatLimits: limits });
  const project = await api.store.projects.create('shop');
  const w = await api.store.widgets.create(project.id);
  const widget = (await api.store.widgets.update(w.id, { allowedDomains: ['*.shop.example'], modes: ['chat'] }))!;
  const { token: projectToken } = await api.store.apiTokens.create(project.id, ['voice-widget:read']);
  return { api, project, widget, projectToken };
}

async function openSession(api: TestApi, w: Widget, email: string): Promise<string> {
  const r = await api.fetchJson(
    '/api/v1/widget/session',
    json(
      {
        widget_id: w.publicId,
        email_token: signEmailToken(w.secret, email, Math.floor(Date.now() / 1000) + 600),
        display_name: email,
      },
      { origin: PAGE },
    ),
  );
  if (r.status !== 201) throw new Error(`session: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

const as = (token: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}`, origin: PAGE },
});

function upload(api: TestApi, token: string, bytes: Buffer, name: string, type?: string) {
  const fd = new FormData();
  fd.append('file', new Blob([bytes], type ? { type } : {}), name);
  return api.fetchJson('/api/v1/widget/uploads', as(token, { method: 'POST', body: fd }));
}

const stored = (api: TestApi): string[] => {
  const dir = join(api.dataDir, 'widget-uploads');
  return existsSync(dir) ? readdirSync(dir) : [];
};

t.test("the seed's curl upload: stored by content under a random name, downloaded by its session or project only", async (t) => {
  const { api, project, widget, projectToken } = await setup(t);
  const jane = await openSession(api, widget, 'jane@example.com');
  const joe = await openSession(api, widget, 'joe@example.com');
  const dir = mkdtempSync(join(tmpdir(), 'sb-upload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'screenshot.png'), PNG);
  const { stdout } = await promisify(execFile)('curl', [
    '-sS',
    '-X',
    'POST',
    `${api.base}/api/v1/widget/uploads`,
    '-H',
    `Authorization: Bearer ${jane}`,
    '-H',
    `Origin: ${PAGE}`,
    '-F',
    `file=@${join(dir, 'screenshot.png')}`,
    '-w',
    '\n%{http_code}',
  ]);
  const [body, code] = stdout.split('\n') as [string, string];
  t.equal(code, '201');
  const up = JSON.parse(body) as { upload_id: string; file_name: string; content_type: string; size: number; url: string };
  t.match(up, { upload_id: /^up_[A-Za-z0-9_-]{16}$/, file_name: 'screenshot.png', content_type: 'image/png', size: PNG.length });
  t.equal(up.url, `/api/v1/widget/uploads/${up.upload_id}`);
  const files = stored(api);
  t.equal(files.length, 1);
  t.match(files[0], /^[0-9a-f]{32}$/, 'a random name, nothing of the visitor');
  t.same(readFileSync(join(api.dataDir, 'widget-uploads', files[0]!)), PNG, 'the bytes as sent');

  const get = (init: RequestInit) => fetch(api.base + up.url, init);
  const mine = await get(as(jane));
  t.equal(mine.status, 200);
  t.same(Buffer.from(await mine.arrayBuffer()), PNG, 'the session downloads its file');
  t.equal(mine.headers.get('content-type'), 'image/png');
  t.equal(mine.headers.get('x-content-type-options'), 'nosniff');
  t.match(mine.headers.get('content-security-policy'), /sandbox/);
  t.equal((await get(as(joe))).status, 403, 'another session of the same widget');
  const byProject = await get({ headers: { 'x-api-key': projectToken } });
  t.equal(byProject.status, 200, 'the project');
  t.same(Buffer.from(await byProject.arrayBuffer()), PNG);
  const other = await api.store.projects.create('other');
  const { token: theirs } = await api.store.apiTokens.create(other.id);
  const foreign = await get({ headers: { authorization: `Bearer ${theirs}` } });
  t.equal(foreign.status, 403, 'another project');
  t.same(Object.keys((await foreign.json()) as object), ['error']);
  const { token: noScope } = await api.store.apiTokens.create(project.id, ['calls:write']);
  t.equal((await get({ headers: { 'x-api-key': noScope } })).status, 403, 'a project key without the widget scope');
  t.equal((await get({})).status, 401, 'no token');
  t.equal((await fetch(`${api.base}/api/v1/widget/uploads/up_AAAAAAAAAAAAAAAA`, as(jane))).status, 404);
  t.equal((await fetch(`${api.base}/api/v1/widget/uploads/up_..%2F..%2Fswitchboard.db`, as(jane))).status, 422);
  t.equal(
    (await fetch(api.base + up.url, { headers: { authorization: `Bearer ${jane}`, origin: 'https://evil.example' } })).status,
    403,
    'a page outside the allowed domains',
  );
});

t.test('types come from the bytes; names cannot walk out; the size is capped', async (t) => {
  const { api, widget } = await setup(t);
  const jane = await openSession(api, widget, 'jane@example.com');
  const cases: [string, Buffer, string, string | undefined, number, string?][] = [
    ['a PDF', PDF, 'invoice.pdf', 'application/pdf', 201, 'application/pdf'],
    ['a PNG declared generically', PNG, 'x.png', 'application/octet-stream', 201, 'image/png'],
    [
      'a JPEG declared image/jpg',
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]),
      'p.jpg',
      'image/jpg',
      201,
      'image/jpeg',
    ],
    ['plain text', Buffer.from('error log\nline 2\n'), 'log.txt', 'text/plain', 201, 'text/plain'],
    ['an executable called a PNG', ELF, 'cat.png', 'image/png', 415],
    ['a PDF called a PNG', PDF, 'cat.png', 'image/png', 415],
    ['a zip archive', ZIP, 'a.zip', 'application/octet-stream', 415],
    ['HTML declared as HTML', HTML, 'page.html', 'text/html', 415],
    ['HTML called a PNG', HTML, 'page.png', 'image/png', 415],
    ['an empty file', Buffer.alloc(0), 'empty.txt', 'text/plain', 415],
  ];
  for (const [what, bytes, name, type, status, sniffed] of cases) {
    const r = await upload(api, jane, bytes, name, type);
    t.equal(r.status, status, `${what}: ${status}`);
    if (sniffed) t.equal(r.body.content_type, sniffed, `${what} is stored as ${sniffed}`);
    else t.same(Object.keys(r.body), ['error']);
  }
  t.equal(stored(api).length, 4, 'refused files leave nothing behind');

  // HTML sent as a generic file is kept as text and never served as a page
  const html = await upload(api, jane, HTML, 'page.html', 'application/octet-stream');
  t.equal(html.body.content_type, 'text/plain');
  const dl = await fetch(api.base + (html.body.url as string), as(jane));
  t.equal(dl.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.match(dl.headers.get('content-disposition'), /^attachment;/);

  const walk = await upload(api, jane, PNG, '../../../evil.png', 'image/png');
  t.equal(walk.status, 201);
  t.equal(walk.body.file_name, 'evil.png', 'only the last part of the name is kept, for display');
  const win = await upload(api, jane, PNG, '..\\..\\evil2.png', 'image/png');
  t.equal(win.body.file_name, 'evil2.png');
  t.notOk(
    existsSync(join(api.dataDir, 'evil.png')) || existsSync(join(api.dataDir, '..', 'evil.png')),
    'nothing written outside',
  );
  t.ok(
    stored(api).every((f) => /^[0-9a-f]{32}$/.test(f)),
    'every stored name is random hex',
  );

  const atLimit = Buffer.concat([PNG, Buffer.alloc(MAX - PNG.length)]);
  t.equal((await upload(api, jane, atLimit, 'big.png', 'image/png')).status, 201, 'exactly the limit');
  const over = await upload(api, jane, Buffer.concat([atLimit, Buffer.alloc(40 * 1024)]), 'big.png', 'image/png');
  t.equal(over.status, 413, 'over the limit');
  t.match(over.body.error, /larger than 65536 bytes/);

  const raw = await api.fetchJson(
    '/api/v1/widget/uploads',
    as(jane, { method: 'POST', body: PNG, headers: { 'content-type': 'image/png' } }),
  );
  t.equal(raw.status, 415, 'not multipart');
  const fd = new FormData();
  fd.append('other', 'x');
  t.equal((await api.fetchJson('/api/v1/widget/uploads', as(jane, { method: 'POST', body: fd }))).status, 422, 'no file field');
  const anon = new FormData();
  anon.append('file', new Blob([PNG]), 'x.png');
  t.equal((await api.fetchJson('/api/v1/widget/uploads', { method: 'POST', body: anon, headers: { origin: PAGE } })).status, 401);
});

t.test('an upload rides on a message of its own session only', async (t) => {
  const { api, widget } = await setup(t);
  const jane = await openSession(api, widget, 'jane@example.com');
  const joe = await openSession(api, widget, 'joe@example.com');
  const up = (await upload(api, jane, PNG, 'screenshot.png', 'image/png')).body as { upload_id: string };
  const send = (token: string, body: unknown) => api.fetchJson('/api/v1/widget/messages', as(token, json(body)));
  const m = await send(jane, { content: 'here is the error', attachment_id: up.upload_id });
  t.equal(m.status, 201);
  t.match(m.body.attachment, {
    upload_id: up.upload_id,
    file_name: 'screenshot.png',
    content_type: 'image/png',
    size: PNG.length,
  });
  t.equal((await send(jane, { attachment_id: up.upload_id })).status, 201, 'an attachment alone is a message');
  t.equal((await send(joe, { content: 'mine now', attachment_id: up.upload_id })).status, 403, "another session's upload");
  t.equal((await send(jane, { attachment_id: 'up_AAAAAAAAAAAAAAAA' })).status, 404);
  const hist = await api.fetchJson('/api/v1/widget/history', as(jane));
  t.match((hist.body.messages as unknown[])[0], { content: 'here is the error', attachment: { upload_id: up.upload_id } });
});

t.test('uploads: thirty a minute per session, then 429 with Retry-After', async (t) => {
  const { api, widget } = await setup(t, { ...CHAT_LIMITS });
  const jane = await openSession(api, widget, 'jane@example.com');
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) statuses.push((await upload(api, jane, PNG, `s${i}.png`, 'image/png')).status);
  t.same([...new Set(statuses)], [201], 'thirty uploads pass');
  const over = await upload(api, jane, PNG, 'one-more.png', 'image/png');
  t.equal(over.status, 429);
  const wait = Number(over.headers.get('retry-after'));
  t.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
  t.equal(stored(api).length, 30, 'the refused one is not stored');
});
