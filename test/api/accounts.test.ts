/** Sign-up → confirm (code read from the log mail sender) → whoami with the user token; the guards around it. */
import t from 'tap';
import { json, startTestApi } from '../helpers/api.js';

t.test('sign up, confirm with the mailed code, then whoami with the user token', async (t) => {
  const api = await startTestApi(t);
  const up = await api.fetchJson(
    '/api/signup',
    json({ email: 'Ada@Example.com', password: 'correct horse', name: 'Ada Lovelace' }),
  );
  t.equal(up.status, 201);
  t.equal(up.body.status, 'ok');
  t.equal(up.body.email, 'ada@example.com');
  const code = api.codeFor('ada@example.com');
  const user = (await api.store.users.findByEmail('ada@example.com'))!;
  t.notOk(user.passwordHash.includes('correct horse'), 'the password is not stored');
  t.match(user.passwordHash, /^scrypt\$/);
  t.notOk(user.confirmCodeHash?.includes(code), 'the code is stored hashed');

  const conf = await api.fetchJson('/api/confirm', json({ email: 'ada@example.com', code }));
  t.equal(conf.status, 200);
  t.match(conf.body, { status: 'ok', id: user.id, name: 'Ada Lovelace', email: 'ada@example.com' });
  const token = conf.body.user_token as string;
  t.match(token, /^sbu_/);

  for (const [how, init, path] of [
    ['?user_token=', {}, `/api/whoami?user_token=${token}`],
    ['Bearer', { headers: { authorization: `Bearer ${token}` } }, '/api/whoami'],
  ] as const) {
    const who = await api.fetchJson(path, init);
    t.equal(who.status, 200, how);
    t.same(
      who.body,
      { status: 'ok', id: user.id, name: 'Ada Lovelace', email: 'ada@example.com' },
      `whoami answers the user (${how})`,
    );
  }
  const again = await api.fetchJson('/api/confirm', json({ email: 'ada@example.com', code }));
  t.equal(again.status, 422, 'a code works once');
  const dup = await api.fetchJson('/api/signup', json({ email: 'ada@example.com', password: 'another pass' }));
  t.same([dup.status, dup.body], [422, { error: 'email: already registered' }]);

  // The account got a project of its own: project routes work with the user token.
  const nums = await api.fetchJson('/api/v1/relay_numbers', { headers: { authorization: `Bearer ${token}` } });
  t.same([nums.status, nums.body], [200, { relay_numbers: [] }]);
});

t.test('wrong codes: counted per code, the code dies after the limit', async (t) => {
  const api = await startTestApi(t, { maxCodeAttempts: 3 });
  await api.fetchJson('/api/signup', json({ email: 'eve@example.com', password: 'password1' }));
  const code = api.codeFor('eve@example.com');
  const wrong = code === '000000' ? '000001' : '000000';
  for (let i = 0; i < 2; i++) {
    const r = await api.fetchJson('/api/confirm', json({ email: 'eve@example.com', code: wrong }));
    t.same([r.status, r.body], [422, { error: 'code: invalid or expired confirmation code' }]);
  }
  const third = await api.fetchJson('/api/confirm', json({ email: 'eve@example.com', code: wrong }));
  t.equal(third.status, 422);
  t.match(third.body.error, /too many wrong codes/);
  const right = await api.fetchJson('/api/confirm', json({ email: 'eve@example.com', code }));
  t.equal(right.status, 422, 'even the right code is refused once the limit is reached');
  t.match(right.body.error, /too many wrong codes/);
  // Signing up again issues a fresh code.
  await api.fetchJson('/api/signup', json({ email: 'eve@example.com', password: 'password2' }));
  const fresh = api.codeFor('eve@example.com');
  const ok = await api.fetchJson('/api/confirm', json({ email: 'eve@example.com', code: fresh }));
  t.equal(ok.status, 200);
  const unknown = await api.fetchJson('/api/confirm', json({ email: 'nobody@example.com', code: '123456' }));
  t.same(unknown.body, { error: 'code: invalid or expired confirmation code' }, 'an unknown email looks like a wrong code');
});

t.test('sign-up and confirm are rate limited per source address', async (t) => {
  const api = await startTestApi(t, { authAttemptsPerMinute: 3 });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++)
    statuses.push((await api.fetchJson('/api/confirm', json({ email: 'x@example.com', code: '111111' }))).status);
  const last = await api.fetchJson('/api/signup', json({ email: 'y@example.com', password: 'password1' }));
  t.same(statuses, [422, 422, 422]);
  t.equal(last.status, 429, 'the fourth attempt in the minute is refused');
  t.same(last.body, { error: 'too many requests; retry later' });
  const retry = Number(last.headers.get('retry-after'));
  t.ok(retry >= 1 && retry <= 60, `Retry-After ${retry} s`);
});

t.test('validation errors name the field; malformed and oversized bodies', async (t) => {
  const api = await startTestApi(t);
  const cases: [unknown, string][] = [
    [{ password: 'password1' }, 'email: '],
    [{ email: 'not-an-email', password: 'password1' }, 'email: '],
    [{ email: 'a@example.com' }, 'password: '],
    [{ email: 'a@example.com', password: 'short' }, 'password: must be at least 8 characters'],
    [{ email: 'a@example.com', password: 'password1', name: '' }, 'name: '],
  ];
  for (const [body, prefix] of cases) {
    const r = await api.fetchJson('/api/signup', json(body));
    t.equal(r.status, 422, JSON.stringify(body));
    t.ok(typeof r.body.error === 'string' && r.body.error.startsWith(prefix), `"${String(r.body.error)}" names ${prefix}`);
  }
  const c = await api.fetchJson('/api/confirm', json({ email: 'a@example.com', code: '12ab' }));
  t.same([c.status, c.body], [422, { error: 'code: expected the 6-digit code' }]);
  const bad = await api.fetchJson('/api/signup', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"email":',
  });
  t.same([bad.status, bad.body], [400, { error: 'body: malformed JSON' }]);
  const big = await api.fetchJson('/api/signup', json({ email: 'a@example.com', password: 'x'.repeat(200_000) }));
  t.same([big.status, big.body], [413, { error: 'body: too large' }]);
  const none = await api.fetchJson('/api/nothing-here');
  t.same([none.status, none.body], [404, { error: 'not found' }]);
});
