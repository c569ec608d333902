import t from 'tap';
import { DigestClient, DigestServer, digestResponse, parseAuthHeader, pickChallenge } from '../../../sip/digest.js';

t.test('RFC 2617 and RFC 7616 known vectors', async (t) => {
  t.equal(digestResponse({
    algorithm: 'MD5', username: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', method: 'GET',
    uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b',
  }), '6629fae49393a05397450978507c4ef1');
  const v7616 = {
    username: 'Mufasa', realm: 'http-auth@example.org', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth', nc: '00000001',
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

t.test('server challenge -> client answer verifies, for both algorithms', async (t) => {
  for (const alg of ['MD5', 'SHA-256'] as const) {
    const server = new DigestServer({ realm: 'switchboard', algorithms: [alg] });
    const [challenge] = server.challenge();
    const params = pickChallenge([challenge!]);
    t.equal(params?.algorithm, alg);
    const client = new DigestClient({ username: 'alice', password: 's3cret' });
    const header = client.authorize(params!, 'REGISTER', 'sip:switchboard');
    const pw = (u: string) => (u === 'alice' ? 's3cret' : undefined);
    t.same(server.verify('REGISTER', header, pw), { ok: true, username: 'alice' }, alg);
    // The same nc again is a replay.
    t.same(server.verify('REGISTER', header, pw), { ok: false, reason: 'replay' });
    // Next nc on the same nonce is fine.
    t.same(server.verify('REGISTER', client.authorize(params!, 'REGISTER', 'sip:switchboard'), pw), { ok: true, username: 'alice' });
    // Wrong method (digest binds the method), wrong password, unknown user.
    t.same(server.verify('INVITE', client.authorize(params!, 'REGISTER', 'sip:switchboard'), pw), { ok: false, reason: 'bad-response' });
    const mallory = new DigestClient({ username: 'alice', password: 'guess' });
    t.same(server.verify('REGISTER', mallory.authorize(params!, 'REGISTER', 'sip:x'), pw), { ok: false, reason: 'bad-response' });
    const bob = new DigestClient({ username: 'bob', password: 'x' });
    t.same(server.verify('REGISTER', bob.authorize(params!, 'REGISTER', 'sip:x'), pw), { ok: false, reason: 'unknown-user' });
  }
});

t.test('multi-challenge: client prefers SHA-256; joined header parses', async (t) => {
  const server = new DigestServer({ realm: 'r', algorithms: ['MD5', 'SHA-256'] });
  const values = server.challenge();
  t.equal(values.length, 2);
  t.equal(pickChallenge(values)?.algorithm, 'SHA-256');
  t.equal(pickChallenge(['Basic realm="x"']), undefined);
  t.equal(pickChallenge(['Digest realm="x", nonce="n", algorithm=SHA-512-256'])?.algorithm, undefined);
});

t.test('nonce expiry gives stale; forged nonce is invalid; missing and malformed', async (t) => {
  let now = 1_000_000;
  const server = new DigestServer({ realm: 'r', nonceTtlMs: 1000, now: () => now, algorithms: ['MD5'] });
  const params = pickChallenge(server.challenge())!;
  const pw = () => 'pw';
  const client = new DigestClient({ username: 'u', password: 'pw' });
  now += 2000;
  t.same(server.verify('REGISTER', client.authorize(params, 'REGISTER', 'sip:r'), pw), { ok: false, reason: 'stale' });
  t.ok(server.challenge({ stale: true })[0]!.includes('stale=true'));
  const forged = { ...params, nonce: `${now.toString(36)}.abc.AAAAAAAAAAAAAAAAAAAAAA` };
  t.same(server.verify('REGISTER', client.authorize(forged, 'REGISTER', 'sip:r'), pw), { ok: false, reason: 'invalid-nonce' });
  t.same(server.verify('REGISTER', undefined, pw), { ok: false, reason: 'missing' });
  t.same(server.verify('REGISTER', 'Basic dXNlcjpwdw==', pw), { ok: false, reason: 'malformed' });
  t.same(server.verify('REGISTER', 'Digest username="u"', pw), { ok: false, reason: 'malformed' });
  // Another server instance (restart) does not accept our nonces.
  const other = new DigestServer({ realm: 'r', algorithms: ['MD5'] });
  const fresh = pickChallenge(other.challenge())!;
  t.same(server.verify('REGISTER', client.authorize(fresh, 'REGISTER', 'sip:r'), pw), { ok: false, reason: 'invalid-nonce' });
});
