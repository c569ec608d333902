/** The visitor chat on the whole platform (src/main.ts wiring): the socket on the HTTP listener, uploads under DATA_DIR, sockets closed at stop. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { WebSocket } from 'ws';
import { startTestPlatform } from '../helpers/platform.js';
import { untilOrThrow } from '../helpers/wait.js';
import { signEmailToken } from '../../src/widgets/email-token.js';

t.setTimeout(120000);

t.test('a visitor chats with an agent through the running platform', async (t) => {
  const { platform, dataDir } = await startTestPlatform(t);
  const base = `http://127.0.0.1:${platform.http.port}`;
  const page = 'http://shop.example';
  const project = await platform.store.projects.create('shop');
  const { token: key } = await platform.store.apiTokens.create(project.id);
  const put = await fetch(`${base}/api/v1/voice-widget/config`, {
    method: 'PUT',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ allowed_domains: ['shop.example'], modes: ['voice', 'chat'] }),
  });
  const cfg = (await put.json()) as { widget_id: string; secret: string };
  t.equal(put.status, 200);
  const created = await fetch(`${base}/api/v1/widget/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: page },
    body: JSON.stringify({
      widget_id: cfg.widget_id,
      email_token: signEmailToken(cfg.secret, 'jane@example.com', Math.floor(Date.now() / 1000) + 600),
      display_name: 'Jane',
    }),
  });
  t.equal(created.status, 201);
  const session = (await created.json()) as { session_id: string; token: string };

  const frames: Record<string, unknown>[] = [];
  let closed: number | undefined;
  const ws = new WebSocket(`ws://127.0.0.1:${platform.http.port}/api/v1/widget/ws?token=${session.token}`, { origin: page });
  t.teardown(() => ws.terminate());
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>));
  ws.on('close', (code) => {
    closed = code;
  });
  await untilOrThrow('the socket is ready', () => frames.length === 1);

  const reply = await fetch(`${base}/api/v1/widget/sessions/${session.session_id}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'How can I help?', author: 'Support' }),
  });
  t.equal(reply.status, 201);
  await untilOrThrow('the reply arrives', () => frames.length === 2);
  t.match(frames[1], { type: 'message', content: 'How can I help?', sender: 'agent', author: 'Support' });

  const fd = new FormData();
  fd.append('file', new Blob([Buffer.from('order #1234 failed\n')], { type: 'text/plain' }), 'error.txt');
  const up = await fetch(`${base}/api/v1/widget/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.token}`, origin: page },
    body: fd,
  });
  t.equal(up.status, 201);
  t.match(readdirSync(join(dataDir, 'widget-uploads')), [/^[0-9a-f]{32}$/], 'kept under DATA_DIR/widget-uploads');

  await platform.stop();
  await untilOrThrow('the socket is closed at stop', () => closed !== undefined);
  t.equal(closed, 1001);
});
