import t from 'tap';
import { DigestClient, digestResponse, parseAuthHeader, pickChallenge } from '../../../sip/digest.js';
import { DigestServer, type DigestServerOptions, type DigestVerdict } from '../../../sip/digest-server.js';

function server(over: Partial<DigestServerOptions> = {}): DigestServer {
  return new DigestServer({ realm: 'switchboard', algorithms: ['MD5'], nonceTtlMs: 60_000, acceptRfc2069: false, ...over });
}

/** Verifies `header` for `method uri` with alice's password (undefined for anybody else). */
function check(
  s: DigestServer,
  method: string,
  uri: string,
  header: string | undefined,
): DigestVerdict | { ok: false; reason: string } {
  const parsed = s.parse(header);
  if (!parsed.ok) return parsed;
  return s.verify(parsed.answer, { method, uri }, parsed.answer.username === 'alice' ? 's3cret' : undefined);
}

t.test('RFC 2617 and RFC 7616 known vectors', async (t) => {
  t.equal(
    digestResponse({
      algorithm: 'MD5',
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    }),
    '6629fae49393a05397450978507c4ef1',
  );
  const v7616 = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    qop: 'auth',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };
  t.equal(digestResponse({ ...v7616, algorithm: 'MD5' }), '8ca523f5e9506fed4657c9700eebdbec');
  t.equal(digestResponse({ ...v7616, algorithm: 'SHA-256' }), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  t.throws(() => digestResponse({ ...v7616, algorithm: 'SHA-512-256' }));
});

t.test('parseAuthHeader handles quoting, commas inside quotes and bare tokens', async (t) => {
  const p = parseAuthHeader('Digest realm="a, b", nonce="x\\"y", algorithm=SHA-256, qop="auth,auth-int", stale=TRUE');
  t.equal(p?.scheme, 'Digest');
  t.same(p?.params, { realm: 'a, b', nonce: 'x"y', algorithm: 'SHA-256', qop: 'auth,auth-int', stale: 'TRUE' });
  t.equal(parseAuthHeader(''), undefined);
  t.equal(parseAuthHeader('Digest'), undefined);
  t.doesNotThrow(() => parseAuthHeader('Digest ,,,=,"'));
});

t.test('server challenge -> client answer verifies, for both algorithms; replays and retargeting fail', async (t) => {
  for (const alg of ['MD5', 'SHA-256'] as const) {
    const s = server({ algorithms: [alg] });
    const params = pickChallenge(s.challenge())!;
    t.equal(params.algorithm, alg);
    const client = new DigestClient({ username: 'alice', password: 's3cret' });
    const uri = 'sip:switchboard';
    const first = client.authorize(params, 'REGISTER', uri);
    t.same(check(s, 'REGISTER', uri, first), { ok: true, username: 'alice' }, alg);
    t.same(check(s, 'REGISTER', uri, first), { ok: false, reason: 'replay' }, 'the same nc again is a replay');
    const second = client.authorize(params, 'REGISTER', uri);
    const third = client.authorize(params, 'REGISTER', uri);
    t.same(check(s, 'REGISTER', uri, third), { ok: true, username: 'alice' }, 'nc 3 after 1 (skipping is allowed)');
    t.same(check(s, 'REGISTER', uri, second), { ok: false, reason: 'replay' }, 'a lower nc is a replay');
    t.same(
      check(s, 'INVITE', uri, client.authorize(params, 'REGISTER', uri)),
      { ok: false, reason: 'bad-response' },
      'method is bound',
    );
    t.same(check(s, 'REGISTER', 'sip:other', client.authorize(params, 'REGISTER', uri)), { ok: false, reason: 'uri-mismatch' });
    t.same(
      check(s, 'REGISTER', 'sip:SwitchBoard', client.authorize(params, 'REGISTER', uri)),
      { ok: true, username: 'alice' },
      'host compares case-insensitively',
    );
    // A nonce-count used before is a replay even with another password or user.
    const mallory = new DigestClient({ username: 'alice', password: 'guess' });
    t.same(check(s, 'REGISTER', uri, mallory.authorize(params, 'REGISTER', uri)), { ok: false, reason: 'replay' });
    const fresh = pickChallenge(s.challenge())!;
    t.same(
      check(s, 'REGISTER', uri, new DigestClient({ username: 'alice', password: 'guess' }).authorize(fresh, 'REGISTER', uri)),
      { ok: false, reason: 'bad-response' },
    );
    const bob = new DigestClient({ username: 'bob', password: 'x' });
    t.same(check(s, 'REGISTER', uri, bob.authorize(pickChallenge(s.challenge())!, 'REGISTER', uri)), {
      ok: false,
      reason: 'unknown-user',
    });
    // A used nonce-count sent with another method is a replay, not a wrong password.
    t.same(check(s, 'INVITE', uri, first), { ok: false, reason: 'replay' });
  }
});

t.test('answers without qop, with another realm or an algorithm not offered are refused', async (t) => {
  const s = server({ algorithms: ['SHA-256'] });
  const params = pickChallenge(s.challenge())!;
  const noQop = new DigestClient({ username: 'alice', password: 's3cret' }).authorize(
    { ...params, qop: '' },
    'REGISTER',
    'sip:switchboard',
  );
  t.notMatch(noQop, /qop=/);
  t.same(check(s, 'REGISTER', 'sip:switchboard', noQop), { ok: false, reason: 'qop-required' });
  const md5 = new DigestClient({ username: 'alice', password: 's3cret' }).authorize(
    { ...params, algorithm: 'MD5' },
    'REGISTER',
    'sip:switchboard',
  );
  t.same(check(s, 'REGISTER', 'sip:switchboard', md5), { ok: false, reason: 'algorithm-not-offered' }, 'no downgrade to MD5');
  const realm = new DigestClient({ username: 'alice', password: 's3cret' }).authorize(
    { ...params, realm: 'other' },
    'REGISTER',
    'sip:switchboard',
  );
  t.same(check(s, 'REGISTER', 'sip:switchboard', realm), { ok: false, reason: 'wrong-realm' });
  const good = new DigestClient({ username: 'alice', password: 's3cret' }).authorize(params, 'REGISTER', 'sip:switchboard');
  t.same(check(s, 'REGISTER', 'sip:switchboard', good.replace(/nc=\w+/, 'nc=00000000')), { ok: false, reason: 'malformed' });
  t.same(check(s, 'REGISTER', 'sip:switchboard', good.replace(/nc=\w+/, 'nc=1')), { ok: false, reason: 'malformed' });
  t.same(check(s, 'REGISTER', 'sip:switchboard', good.replace(/qop=auth/, 'qop=auth-int')), { ok: false, reason: 'malformed' });
});

t.test('acceptRfc2069: an answer without qop works once per nonce', async (t) => {
  const s = server({ acceptRfc2069: true });
  const params: Record<string, string> = { ...pickChallenge(s.challenge())!, qop: '' };
  const client = new DigestClient({ username: 'alice', password: 's3cret' });
  const a = client.authorize(params, 'REGISTER', 'sip:switchboard');
  t.same(check(s, 'REGISTER', 'sip:switchboard', a), { ok: true, username: 'alice' });
  t.same(check(s, 'REGISTER', 'sip:switchboard', a), { ok: false, reason: 'replay' });
  // The same nonce with qop after its RFC 2069 use is refused too.
  const b = client.authorize(
    pickChallenge([`Digest realm="switchboard", nonce="${params.nonce}", qop="auth"`])!,
    'REGISTER',
    'sip:switchboard',
  );
  t.same(check(s, 'REGISTER', 'sip:switchboard', b), { ok: false, reason: 'replay' });
});

t.test('nonce expiry gives stale; forged, future and foreign nonces are invalid; missing and malformed', async (t) => {
  let now = 1_000_000;
  const s = server({ realm: 'r', nonceTtlMs: 1000, now: () => now });
  const params = pickChallenge(s.challenge())!;
  const client = new DigestClient({ username: 'alice', password: 's3cret' });
  now += 2000;
  t.same(check(s, 'REGISTER', 'sip:r', client.authorize(params, 'REGISTER', 'sip:r')), { ok: false, reason: 'stale' });
  t.ok(s.challenge({ stale: true })[0]!.includes('stale=true'));
  const forged = { ...params, nonce: `${now.toString(36)}.abc.AAAAAAAAAAAAAAAAAAAAAA` };
  t.same(check(s, 'REGISTER', 'sip:r', client.authorize(forged, 'REGISTER', 'sip:r')), { ok: false, reason: 'invalid-nonce' });
  t.same(check(s, 'REGISTER', 'sip:r', undefined), { ok: false, reason: 'missing' });
  t.same(check(s, 'REGISTER', 'sip:r', 'Basic dXNlcjpwdw=='), { ok: false, reason: 'malformed' });
  t.same(check(s, 'REGISTER', 'sip:r', 'Digest username="u"'), { ok: false, reason: 'malformed' });
  const long = new DigestClient({ username: 'x'.repeat(300), password: 'pw' }).authorize(
    pickChallenge(s.challenge())!,
    'REGISTER',
    'sip:r',
  );
  t.same(check(s, 'REGISTER', 'sip:r', long), { ok: false, reason: 'malformed' }, 'absurdly long username');
  // Another server instance (restart, another realm's key) does not accept our nonces, nor we its.
  const other = server({ realm: 'r' });
  const fresh = pickChallenge(other.challenge())!;
  t.same(check(s, 'REGISTER', 'sip:r', client.authorize(fresh, 'REGISTER', 'sip:r')), { ok: false, reason: 'invalid-nonce' });
  // A nonce from our future (the clock was set back) is not trusted.
  const future = pickChallenge(s.challenge())!;
  now -= 60_000;
  t.same(check(s, 'REGISTER', 'sip:r', client.authorize(future, 'REGISTER', 'sip:r')), { ok: false, reason: 'invalid-nonce' });
});

t.test('the replay table is bounded; a nonce forgotten from it is stale, never replayable', async (t) => {
  const s = server({ maxTrackedNonces: 3 });
  const client = () => new DigestClient({ username: 'alice', password: 's3cret' });
  const first = client().authorize(pickChallenge(s.challenge())!, 'REGISTER', 'sip:switchboard');
  t.same(check(s, 'REGISTER', 'sip:switchboard', first), { ok: true, username: 'alice' });
  await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 3; i++) {
    t.same(
      check(s, 'REGISTER', 'sip:switchboard', client().authorize(pickChallenge(s.challenge())!, 'REGISTER', 'sip:switchboard')),
      { ok: true, username: 'alice' },
    );
  }
  t.same(check(s, 'REGISTER', 'sip:switchboard', first), { ok: false, reason: 'stale' }, 'evicted nonce is not accepted again');
});
