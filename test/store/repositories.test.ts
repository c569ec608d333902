/** Every repository against SQLite and PostgreSQL, through the same code. */
import t from 'tap';
import { forEachDialect } from '../helpers/stores.js';
import { matchesHash, sha256Hex } from '../../src/store/index.js';

t.setTimeout(120000);

forEachDialect(t, 'projects and API tokens', async (t, { open }) => {
  const s = await open();
  const a = await s.projects.create('alpha');
  const b = await s.projects.create('beta');
  t.equal((await s.projects.first())?.id, a.id, 'the oldest project is the default');
  const { token, record } = await s.apiTokens.create(a.id, ['voice-widget:read']);
  t.match(token, /^sbp_[A-Za-z0-9_-]{43}$/);
  t.equal(record.prefix, token.slice(0, 10));
  t.same(record.scopes, ['voice-widget:read']);
  t.equal(await s.apiTokens.authenticate(sha256Hex(token)), undefined, 'the stored hash is not a credential');
  const found = await s.apiTokens.authenticate(token);
  t.equal(found?.projectId, a.id);
  t.ok(found?.lastUsedAt, 'use is recorded');
  t.equal(await s.apiTokens.authenticate(`${token}x`), undefined);
  const who = await s.apiTokens.principal(token);
  t.same(who?.project, a, 'the principal carries its project');
  t.equal(who?.token.id, record.id);
  t.equal(await s.apiTokens.revoke(record.id), true);
  t.equal(await s.apiTokens.revoke(record.id), false, 'revoking twice reports nothing to do');
  t.equal(await s.apiTokens.authenticate(token), undefined, 'a revoked token is refused');
  t.equal(await s.apiTokens.principal(token), undefined, 'and has no principal');
  t.equal((await s.apiTokens.list(b.id)).length, 0);
  t.same(
    (await s.projects.list()).map((p) => p.name),
    ['alpha', 'beta'],
  );
});

forEachDialect(t, 'users, user tokens and membership', async (t, { open }) => {
  const s = await open();
  const u = await s.users.create({
    email: 'Ada@Example.com',
    name: 'Ada',
    passwordHash: 'x',
    codeHash: 'h',
    codeExpiresAt: '2030-01-01T00:00:00.000Z',
  });
  t.equal(u.email, 'ada@example.com');
  t.equal((await s.users.findByEmail('ADA@example.com'))?.id, u.id, 'email lookup ignores case');
  await t.rejects(
    s.users.create({ email: 'ada@example.com', name: 'x', passwordHash: 'x', codeHash: 'h', codeExpiresAt: 'x' }),
    'email is unique',
  );
  const taken = await Promise.all([1, 2, 3, 4].map(() => s.users.takeAttempt(u.id, 3)));
  t.equal(taken.filter(Boolean).length, 3, 'parallel attempts never exceed the limit');
  t.equal((await s.users.get(u.id))?.confirmAttempts, 3);
  const token = await s.users.createToken(u.id);
  t.equal(await s.users.authenticate(token), undefined, 'an unconfirmed user cannot authenticate');
  await s.users.markConfirmed(u.id);
  const me = await s.users.authenticate(token);
  t.equal(me?.id, u.id);
  t.equal(me?.confirmAttempts, 0);
  t.equal(me?.confirmCodeHash, null);
  const p = await s.projects.create('ada');
  await s.projects.addMember(p.id, u.id, 'owner');
  await s.projects.addMember(p.id, u.id, 'owner');
  t.same(
    (await s.projects.ofUser(u.id)).map((x) => x.id),
    [p.id],
  );
  t.equal(await s.projects.ownerEmail(p.id), 'ada@example.com');
  await s.users.revokeTokens(u.id);
  t.equal(await s.users.authenticate(token), undefined);
});

forEachDialect(t, 'agents: seeded from config, credentials for the registrar', async (t, { open }) => {
  const s = await open();
  const a = await s.projects.create('a');
  const b = await s.projects.create('b');
  t.equal(
    await s.agents.seed(a.id, [
      { username: 'alice', password: 'pw1', displayName: 'Alice' },
      { username: 'bob', password: 'pw2' },
    ]),
    2,
  );
  const moved = await s.agents.create({ projectId: b.id, username: 'carol', password: 'c', email: 'Carol@X.io' });
  t.equal(moved.email, 'carol@x.io');
  t.equal(
    await s.agents.seed(a.id, [
      { username: 'alice', password: 'new', displayName: 'Alice L.' },
      { username: 'carol', password: 'c2' },
    ]),
    0,
    'existing usernames are updated, not duplicated',
  );
  t.equal((await s.agents.findByUsername('carol'))?.projectId, b.id, 'seeding never moves an agent to another project');
  t.same(await s.agents.sipCredentials(), [
    { username: 'alice', password: 'new', displayName: 'Alice L.' },
    { username: 'bob', password: 'pw2' },
    { username: 'carol', password: 'c2' },
  ]);
  t.notOk('sip_password' in (await s.agents.get(moved.id))!, 'reads never carry the SIP password');
  t.same(
    (await s.agents.list(a.id)).map((x) => x.username),
    ['alice', 'bob'],
  );
  t.equal((await s.agents.findByEmail(b.id, 'carol@x.io'))?.id, moved.id);
  await t.rejects(s.agents.create({ projectId: b.id, username: 'alice', password: 'x' }), 'usernames are unique across projects');
});

forEachDialect(t, 'numbers: inventory sync, ownership, targets, search', async (t, { open }) => {
  const s = await open();
  const a = await s.projects.create('a');
  const b = await s.projects.create('b');
  const inv = [
    { number: '+14155550100', trunk: 'carrier', country: 'us', type: 'local', areaCode: '415' },
    { number: '+14155550101', trunk: 'carrier', country: 'US', type: 'local', areaCode: '415' },
    { number: '+33159133354', trunk: 'carrier', country: 'FR', type: 'national', areaCode: '1' },
  ];
  t.equal(await s.numbers.syncInventory(inv), 3);
  t.equal(await s.numbers.syncInventory(inv), 0, 'a second sync adds nothing');
  const agent = await s.agents.create({ projectId: a.id, username: 'alice', password: 'x' });
  const n = await s.numbers.assign(a.id, '+14155550100', { kind: 'agent', agentId: agent.id });
  t.same(n.target, { kind: 'agent', agentId: agent.id });
  t.equal(n.country, 'US');
  await t.rejects(s.numbers.assign(b.id, '+14155550100'), /belongs to another project/, 'a number has one owner');
  await s.numbers.syncInventory([{ ...inv[0]!, trunk: 'carrier2' }]);
  const after = await s.numbers.get(n.id);
  t.equal(after?.projectId, a.id, 'a sync never steals ownership');
  t.equal(after?.trunk, 'carrier2', 'but refreshes the inventory data');
  const fwd = await s.numbers.assign(b.id, '+15550001111', { kind: 'forward', forwardTo: '+33612345678' });
  t.equal(fwd.relayEnabled, true);
  t.equal(fwd.forwardTo, '+33612345678');
  await s.numbers.setRelay(fwd.id, { relayEnabled: false, forwardTo: '+33700000000' });
  t.same(
    { ...(await s.numbers.get(fwd.id))!, createdAt: '' },
    {
      ...fwd,
      relayEnabled: false,
      forwardTo: '+33700000000',
      target: { kind: 'forward', forwardTo: '+33700000000' },
      createdAt: '',
    },
  );
  const app = await s.applications.create({ projectId: b.id, name: 'bot' });
  await s.numbers.setTarget(fwd.id, { kind: 'application', applicationId: app.id });
  t.same((await s.numbers.get(fwd.id))?.target, { kind: 'application', applicationId: app.id });
  t.same(
    (await s.numbers.available({ country: 'us', areaCode: '415' })).map((x) => x.e164),
    ['+14155550101'],
  );
  t.same(
    (await s.numbers.available({ contains: '3354' })).map((x) => x.e164),
    ['+33159133354'],
  );
  t.same(
    (await s.numbers.list(a.id)).map((x) => x.e164),
    ['+14155550100'],
  );
  await s.numbers.release(n.id);
  t.equal((await s.numbers.get(n.id))?.projectId, null);
  t.equal((await s.numbers.get(n.id))?.target, null);
  t.equal((await s.applications.get(app.id))?.projectId, b.id);
  t.same(await s.applications.list(a.id), []);
});

forEachDialect(t, 'calls: insert, status transitions, events, listing', async (t, { open }) => {
  const s = await open();
  const a = await s.projects.create('a');
  const b = await s.projects.create('b');
  const c1 = await s.calls.insert({
    projectId: a.id,
    direction: 'outbound',
    from: '+33159133354',
    to: '+33612345678',
    enableRecording: true,
    cableTokenHash: sha256Hex('cable'),
  });
  t.equal(c1.status, 'queued');
  t.equal(c1.enableRecording, true);
  t.equal(c1.enableTranscription, false);
  t.equal(c1.cableTokenHash, sha256Hex('cable'));
  const t0 = Date.parse(c1.createdAt);
  t.ok(await s.calls.updateStatus(c1.id, { status: 'ringing', sipStatus: 180, at: new Date(t0 + 1000).toISOString() }));
  t.ok(await s.calls.updateStatus(c1.id, { status: 'in-progress', sipStatus: 200, at: new Date(t0 + 2000).toISOString() }));
  t.ok(
    await s.calls.updateStatus(c1.id, {
      status: 'completed',
      reason: 'caller hung up',
      at: new Date(t0 + 52000).toISOString(),
      detail: { by: 'caller' },
    }),
  );
  t.notOk(await s.calls.updateStatus(c1.id, { status: 'failed' }), 'a final status is final');
  const done = (await s.calls.get(c1.id))!;
  t.equal(done.status, 'completed');
  t.equal(done.duration, 50, 'duration counts from answer to end');
  t.equal(done.sipStatus, 200);
  t.equal(done.reason, 'caller hung up');
  t.ok(done.answeredAt && done.endedAt);
  const ev = await s.calls.events(c1.id);
  t.same(
    ev.map((e) => e.status),
    ['queued', 'ringing', 'in-progress', 'completed'],
  );
  t.same(ev[3]?.detail, { by: 'caller' });
  await s.calls.setTelephonyRef(c1.id, 'CA123');
  await s.calls.setRecording(c1.id, '/rec/1.wav');
  await s.calls.setLegs(c1.id, [{ kind: 'trunk' }]);
  const again = await s.calls.findByTelephonyRef('CA123');
  t.equal(again?.recordingPath, '/rec/1.wav');
  t.same(again?.legs, [{ kind: 'trunk' }]);

  const ids = [c1.id];
  for (let i = 0; i < 4; i++) ids.push((await s.calls.insert({ projectId: a.id, direction: 'inbound', status: 'ringing' })).id);
  await s.calls.insert({ projectId: b.id, direction: 'inbound' });
  const all = await s.calls.list(a.id);
  t.equal(all.total, 5, "only the project's calls");
  t.same(
    all.calls.map((c) => c.id),
    [...ids].reverse(),
    'newest first',
  );
  const page = await s.calls.list(a.id, { limit: 2, offset: 1 });
  t.same(
    page.calls.map((c) => c.id),
    [ids[3], ids[2]],
  );
  t.equal(page.total, 5);
  t.same(
    (await s.calls.list(a.id, { status: 'completed' })).calls.map((c) => c.id),
    [c1.id],
  );
  t.same(
    (await s.calls.list(a.id, { direction: 'outbound' })).calls.map((c) => c.id),
    [c1.id],
  );
  t.equal((await s.calls.list(a.id, { direction: 'inbound' })).total, 4);
  t.ok(matchesHash('cable', done.cableTokenHash), 'the cable token checks against its hash');
  t.notOk(matchesHash('cablf', done.cableTokenHash));
  t.notOk(matchesHash('cable', null));
  const future = new Date(Date.now() + 3600_000).toISOString();
  t.equal((await s.calls.list(a.id, { from: future })).total, 0);
  t.equal((await s.calls.list(a.id, { to: future, from: new Date(t0 - 1000).toISOString() })).total, 5);

  // `page` reads SQLite rows as arrays by column position: every field must land where `get` puts it.
  const pg = await s.calls.page(a.id, { limit: 5 });
  t.same(
    pg.calls,
    await Promise.all(pg.calls.map(async (c) => (await s.calls.get(c.id))!)),
    'a page holds the same records as get, field for field',
  );
  t.equal(pg.calls.find((c) => c.id === c1.id)?.recordingPath, '/rec/1.wav');
  t.same(pg.calls.find((c) => c.id === c1.id)?.legs, [{ kind: 'trunk' }]);
  t.equal(pg.hasMore, false);
  const p2 = await s.calls.page(a.id, { limit: 2, offset: 1, direction: 'inbound' });
  t.same(
    p2.calls.map((c) => c.id),
    [ids[3], ids[2]],
  );
  t.equal(p2.hasMore, true);
  // Each combination of filters is its own prepared query; values change between runs of one.
  t.same(
    (await s.calls.page(a.id, { status: 'completed' })).calls.map((c) => c.id),
    [c1.id],
  );
  t.same(
    (await s.calls.page(a.id, { status: 'ringing', to: future })).calls.map((c) => c.id),
    [...ids.slice(1)].reverse(),
  );
  t.same((await s.calls.page(a.id, { status: 'ringing', from: future })).calls, []);
  t.same((await s.calls.page(b.id, { status: 'ringing' })).calls, [], "another project's page holds none of them");
});
