/** Visitor chat sessions, messages and uploads on both dialects: tokens kept as hashes, paging, isolation by session. */
import t from 'tap';
import { forEachDialect } from '../helpers/stores.js';

t.setTimeout(120000);

forEachDialect(t, 'widget chat', async (t, { open }) => {
  const s = await open();
  const a = await s.projects.create('alpha');
  const b = await s.projects.create('beta');
  const wa = await s.widgets.create(a.id);
  const wb = await s.widgets.create(b.id);
  const hour = new Date(Date.now() + 3600_000).toISOString();
  const token = `wst_${'a'.repeat(43)}`;
  const one = await s.widgetSessions.create({
    projectId: a.id,
    widgetId: wa.id,
    email: 'jane@example.com',
    displayName: 'Jane',
    token,
    expiresAt: hour,
  });
  t.match(one, {
    publicId: /^ws_[A-Za-z0-9_-]{16}$/,
    projectId: a.id,
    widgetPublicId: wa.publicId,
    email: 'jane@example.com',
    revokedAt: null,
    lastMessageAt: null,
  });
  t.equal((await s.widgetSessions.findByToken(token))?.id, one.id, 'found by its token');
  t.equal(await s.widgetSessions.findByToken(`${token}x`), undefined);
  t.equal((await s.widgetSessions.findByPublicId(one.publicId))?.id, one.id);
  const stored = JSON.stringify(await s.widgetSessions.get(one.id));
  t.notOk(stored.includes(token), 'the token is not part of the record');

  const two = await s.widgetSessions.create({
    projectId: a.id,
    widgetId: wa.id,
    email: 'joe@example.com',
    displayName: 'Joe',
    token: `wst_${'b'.repeat(43)}`,
    expiresAt: hour,
  });
  await s.widgetSessions.create({
    projectId: b.id,
    widgetId: wb.id,
    email: 'other@example.com',
    displayName: 'Other',
    token: `wst_${'c'.repeat(43)}`,
    expiresAt: hour,
  });

  const upload = await s.widgetUploads.create({
    projectId: a.id,
    sessionId: one.id,
    fileName: 'shot.png',
    contentType: 'image/png',
    size: 1234,
    storageName: 'f'.repeat(32),
  });
  t.match(upload.publicId, /^up_[A-Za-z0-9_-]{16}$/);
  t.equal((await s.widgetUploads.findByPublicId(upload.publicId))?.size, 1234);

  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    const m = await s.widgetMessages.insert({
      projectId: a.id,
      sessionId: one.id,
      sender: i % 2 ? 'agent' : 'visitor',
      author: i % 2 ? 'Alice' : null,
      content: `m${i}`,
      uploadId: i === 0 ? upload.id : null,
    });
    ids.push(m.id);
  }
  await s.widgetMessages.insert({ projectId: a.id, sessionId: two.id, sender: 'visitor', content: 'elsewhere' });

  const first = await s.widgetMessages.history(one.id, { limit: 2 });
  t.same(
    first.messages.map((m) => m.content),
    ['m3', 'm4'],
    'the newest page, oldest first',
  );
  t.equal(first.hasMore, true);
  const back = await s.widgetMessages.history(one.id, { before: first.messages[0]!.id, limit: 10 });
  t.same(
    back.messages.map((m) => m.content),
    ['m0', 'm1', 'm2'],
  );
  t.equal(back.hasMore, false);
  t.match(back.messages[0], {
    sender: 'visitor',
    attachment: { publicId: upload.publicId, fileName: 'shot.png', contentType: 'image/png', size: 1234 },
  });
  t.match(back.messages[1], { sender: 'agent', author: 'Alice', attachment: null });
  const fwd = await s.widgetMessages.history(one.id, { after: ids[1], limit: 2 });
  t.same(
    fwd.messages.map((m) => m.content),
    ['m2', 'm3'],
  );
  t.equal(fwd.hasMore, true);
  t.notOk(
    (await s.widgetMessages.history(one.id, { limit: 100 })).messages.some((m) => m.content === 'elsewhere'),
    "another session's messages stay out",
  );

  const list = await s.widgetSessions.page(a.id);
  t.same(
    list.sessions.map((x) => x.publicId),
    [two.publicId, one.publicId],
    "the project's sessions, the latest message first",
  );
  t.ok(list.sessions[1]!.lastMessageAt, 'a message marks its session active');
  t.equal((await s.widgetSessions.page(b.id)).sessions.length, 1, 'another project sees its own only');
  t.equal((await s.widgetSessions.page(a.id, { limit: 1 })).hasMore, true);

  t.equal(await s.widgetSessions.revoke(one.id), true);
  t.equal(await s.widgetSessions.revoke(one.id), false, 'revoking twice changes nothing');
  t.ok((await s.widgetSessions.get(one.id))?.revokedAt);
  t.same(
    (await s.widgetSessions.page(a.id, { activeAt: new Date().toISOString() })).sessions.map((x) => x.publicId),
    [two.publicId],
    'active sessions leave out the revoked one',
  );
});
