/**
 * Replay attacks on the registrar and the INVITE challenge: a valid Authorization is captured from
 * a real exchange, then re-sent every way an eavesdropper could, from another socket with a new
 * Call-ID, CSeq and Contact. None may be accepted, and none may move the victim's registration or
 * become a call.
 */
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { connect } from 'node:net';
import { DigestClient, pickChallenge } from '../../../sip/digest.js';
import { startStack, type Stack } from './harness.js';
import type { TeardownHost } from '../../helpers/sipp.js';
import { UdpUa, buildRequest, header, type WireResponse } from './udp-ua.js';

const DOMAIN = 'switchboard.test';
const REG_URI = `sip:${DOMAIN}`;

async function ua(t: TeardownHost, host = '127.0.0.1'): Promise<UdpUa> {
  const u = new UdpUa();
  await u.open(host);
  t.teardown(() => u.close());
  return u;
}

let seq = 0;
/** A REGISTER for `user` from `from` with a fresh Call-ID, CSeq and Contact unless given. */
function register(
  stack: Stack,
  from: UdpUa,
  user: string,
  extra: Record<string, string> = {},
  uri = REG_URI,
): Promise<WireResponse> {
  seq++;
  return from.request(
    buildRequest('REGISTER', uri, from, {
      From: `<sip:${user}@${DOMAIN}>;tag=r${seq}`,
      To: `<sip:${user}@${DOMAIN}>`,
      'Call-ID': `replay-${seq}`,
      CSeq: `${seq} REGISTER`,
      Contact: `<sip:${user}@${from.host}:${from.port};n=${seq}>`,
      Expires: '300',
      ...extra,
    }),
    stack.udpPort,
  );
}

/** An INVITE (rejected by the call handler below with 603 when it gets that far), ACKed on failure. */
async function invite(
  stack: Stack,
  from: UdpUa,
  ruri: string,
  extra: Record<string, string> = {},
  fromUser = 'alice',
): Promise<WireResponse> {
  seq++;
  const h = {
    From: `<sip:${fromUser}@${DOMAIN}>;tag=i${seq}`,
    To: `<${ruri}>`,
    'Call-ID': `replay-inv-${seq}`,
    Contact: `<sip:${fromUser}@${from.host}:${from.port}>`,
  };
  const res = await from.request(buildRequest('INVITE', ruri, from, { ...h, CSeq: `${seq} INVITE`, ...extra }), stack.udpPort);
  from
    .request(buildRequest('ACK', ruri, from, { ...h, To: header(res, 'To')[0] ?? h.To, CSeq: `${seq} ACK` }), stack.udpPort, 50)
    .catch(() => undefined);
  return res;
}

/** A valid REGISTER exchange by alice; returns the Authorization she sent and the challenge. */
async function captureRegister(
  t: Test,
  stack: Stack,
  alice: UdpUa,
): Promise<{ auth: string; challenge: Record<string, string>; client: DigestClient }> {
  const c = await register(stack, alice, 'alice');
  t.equal(c.status, 401);
  const challenge = pickChallenge(header(c, 'WWW-Authenticate'))!;
  const client = new DigestClient({ username: 'alice', password: 'alice-pw' });
  const auth = client.authorize(challenge, 'REGISTER', REG_URI);
  const ok = await register(stack, alice, 'alice', { Authorization: auth });
  t.equal(ok.status, 200, 'the genuine REGISTER is accepted');
  return { auth, challenge, client };
}

/** Where alice's bindings came from (distinct sources). */
const contactsOf = (stack: Stack) => [
  ...new Set(stack.app.registrar.lookup('alice').map((b) => `${b.source.host}:${b.source.port}`)),
];

t.test('replayed REGISTER answers are refused and never move the registration', async (t) => {
  const stack = await startStack(t);
  const alice = await ua(t);
  const mallory = await ua(t, '127.0.0.2');
  const { auth, challenge, client } = await captureRegister(t, stack, alice);
  const before = contactsOf(stack);
  t.same(before, [`127.0.0.1:${alice.port}`]);

  const table: [string, number][] = [];
  const attempt = async (name: string, res: WireResponse, want: number[]) => {
    table.push([name, res.status]);
    t.ok(want.includes(res.status), `${name}: ${res.status} ${res.reason}`);
  };
  // 1. The captured header as it was, from another socket, new Call-ID/CSeq/Contact.
  await attempt('same nonce and nc, other socket', await register(stack, mallory, 'alice', { Authorization: auth }), [401]);
  // 2. Same again from the victim's own address.
  await attempt('same nonce and nc, same socket', await register(stack, alice, 'alice', { Authorization: auth }), [401]);
  // 3. A lower nonce-count after a higher one was used.
  const nc2 = client.authorize(challenge, 'REGISTER', REG_URI);
  const nc3 = client.authorize(challenge, 'REGISTER', REG_URI);
  t.equal((await register(stack, alice, 'alice', { Authorization: nc3 })).status, 200, 'alice herself moves on to nc 3');
  await attempt('lower nc (2 after 3)', await register(stack, mallory, 'alice', { Authorization: nc2 }), [401]);
  await attempt('equal nc (3 again)', await register(stack, mallory, 'alice', { Authorization: nc3 }), [401]);
  // 4. Another Request-URI than the digest-uri (the response still matches its own uri).
  const fresh = client.authorize(challenge, 'REGISTER', REG_URI);
  await attempt('other Request-URI', await register(stack, mallory, 'alice', { Authorization: fresh }, 'sip:127.0.0.1'), [403]);
  // 5. The nc was not consumed by the refused retarget: it still is not usable with a forged uri
  //    in the header either (the response was computed over the real uri).
  await attempt(
    'digest-uri rewritten to match',
    await register(
      stack,
      mallory,
      'alice',
      { Authorization: fresh.replace(`uri="${REG_URI}"`, 'uri="sip:127.0.0.1"') },
      'sip:127.0.0.1',
    ),
    [403],
  );
  // 6. Without qop although qop was offered (RFC 2069 answer).
  const noQop = new DigestClient({ username: 'alice', password: 'alice-pw' }).authorize(
    { ...challenge, qop: '' },
    'REGISTER',
    REG_URI,
  );
  await attempt('no qop', await register(stack, mallory, 'alice', { Authorization: noQop }), [403]);
  // 7. The realm changed in the header, and a nonce with a forged MAC.
  await attempt(
    'other realm in the answer',
    await register(stack, mallory, 'alice', { Authorization: auth.replace(`realm="${DOMAIN}"`, 'realm="evil"') }),
    [403],
  );
  const forged = auth.replace(/nonce="([^".]+)\.([^".]+)\.[^"]+"/, 'nonce="$1.$2.AAAAAAAAAAAAAAAAAAAAAA"');
  t.not(forged, auth);
  await attempt('forged nonce MAC', await register(stack, mallory, 'alice', { Authorization: forged }), [401]);
  // 8. A REGISTER of someone else's AOR with alice's captured header.
  await attempt('to bob with alice credentials', await register(stack, mallory, 'bob', { Authorization: auth }), [401, 403]);

  t.same(contactsOf(stack), before, 'alice is still registered only where she registered herself');
  // Replays are not wrong passwords: they did not lock alice's account for a phone elsewhere.
  const elsewhere = await ua(t, '127.0.0.5');
  const c2 = await register(stack, elsewhere, 'alice');
  const auth2 = new DigestClient({ username: 'alice', password: 'alice-pw' }).authorize(
    pickChallenge(header(c2, 'WWW-Authenticate'))!,
    'REGISTER',
    REG_URI,
  );
  t.equal(
    (await register(stack, elsewhere, 'alice', { Authorization: auth2 })).status,
    200,
    'alice registers from a new address after the attacks',
  );
  t.same(stack.app.registrar.lookup('bob'), []);
  t.ok(stack.app.authStats().failures.replay! >= 3, 'replays counted');
  t.comment(table.map(([n, s]) => `${n} -> ${s}`).join('\n'));
});

t.test('an answer to an expired nonce gets stale=true, never 200', async (t) => {
  const stack = await startStack(t, { nonceTtlMs: 300 });
  const alice = await ua(t);
  const mallory = await ua(t, '127.0.0.2');
  const c = await register(stack, alice, 'alice');
  const challenge = pickChallenge(header(c, 'WWW-Authenticate'))!;
  const client = new DigestClient({ username: 'alice', password: 'alice-pw' });
  const auth = client.authorize(challenge, 'REGISTER', REG_URI);
  t.equal((await register(stack, alice, 'alice', { Authorization: auth })).status, 200);
  await new Promise((r) => setTimeout(r, 400));
  const res = await register(stack, mallory, 'alice', { Authorization: auth });
  t.equal(res.status, 401, 'the captured answer replayed after expiry is challenged again');
  // The genuine phone answering the expired nonce with its next nonce-count learns it is only stale.
  const next = client.authorize(challenge, 'REGISTER', REG_URI);
  const stale = await register(stack, alice, 'alice', { Authorization: next });
  t.equal(stale.status, 401);
  t.match(header(stale, 'WWW-Authenticate').join(','), /stale=true/);
  t.same(contactsOf(stack), [`127.0.0.1:${alice.port}`]);
});

t.test('a nonce issued by another registrar (another realm and key) is challenged again', async (t) => {
  const stack = await startStack(t);
  const other = await startStack(t, { realm: 'other.test' });
  const alice = await ua(t);
  const c = await alice.request(
    buildRequest('REGISTER', 'sip:other.test', alice, {
      From: '<sip:alice@other.test>;tag=o',
      To: '<sip:alice@other.test>',
      'Call-ID': 'other-1',
      CSeq: '1 REGISTER',
      Contact: `<sip:alice@127.0.0.1:${alice.port}>`,
    }),
    other.udpPort,
  );
  const foreign = pickChallenge(header(c, 'WWW-Authenticate'))!;
  const client = new DigestClient({ username: 'alice', password: 'alice-pw' });
  // Its realm, as issued: refused for the realm; relabelled as ours: its MAC does not verify.
  t.equal((await register(stack, alice, 'alice', { Authorization: client.authorize(foreign, 'REGISTER', REG_URI) })).status, 403);
  const relabelled = client.authorize({ ...foreign, realm: DOMAIN }, 'REGISTER', REG_URI);
  t.equal((await register(stack, alice, 'alice', { Authorization: relabelled })).status, 401);
  t.same(stack.app.registrar.lookup('alice'), []);
});

t.test('replayed and retargeted INVITE answers never become calls', async (t) => {
  const stack = await startStack(t);
  const calls: string[] = [];
  stack.app.on('call', (c) => {
    calls.push(`${c.from.user}->${c.to.user}`);
    c.reject(603, 'Decline');
  });
  const alice = await ua(t);
  const mallory = await ua(t, '127.0.0.2');
  const target = `sip:15551234567@${DOMAIN}`;
  const c = await invite(stack, alice, target);
  t.equal(c.status, 407);
  const challenge = pickChallenge(header(c, 'Proxy-Authenticate'))!;
  const client = new DigestClient({ username: 'alice', password: 'alice-pw' });
  const auth = client.authorize(challenge, 'INVITE', target);
  t.equal(
    (await invite(stack, alice, target, { 'Proxy-Authorization': auth })).status,
    603,
    'the genuine INVITE reaches the call layer',
  );
  t.same(calls, ['alice->15551234567']);

  const table: [string, number][] = [];
  const attempt = (name: string, res: WireResponse, want: number[]) => {
    table.push([name, res.status]);
    t.ok(want.includes(res.status), `${name}: ${res.status} ${res.reason}`);
  };
  attempt('same answer, other socket, same number', await invite(stack, mallory, target, { 'Proxy-Authorization': auth }), [407]);
  attempt(
    'same answer, other number',
    await invite(stack, mallory, 'sip:19005550199@switchboard.test', { 'Proxy-Authorization': auth }),
    [403, 407],
  );
  const next = client.authorize(challenge, 'INVITE', target);
  attempt(
    'next nc, other number',
    await invite(stack, mallory, 'sip:19005550199@switchboard.test', { 'Proxy-Authorization': next }),
    [403],
  );
  attempt(
    'no qop',
    await invite(stack, mallory, target, {
      'Proxy-Authorization': new DigestClient({ username: 'alice', password: 'alice-pw' }).authorize(
        { ...challenge, qop: '' },
        'INVITE',
        target,
      ),
    }),
    [403],
  );
  // REGISTER credentials on an INVITE: a captured REGISTER answer, and one computed for the same uri.
  const r = await register(stack, alice, 'alice');
  const regChallenge = pickChallenge(header(r, 'WWW-Authenticate'))!;
  const regAuth = new DigestClient({ username: 'alice', password: 'alice-pw' }).authorize(regChallenge, 'REGISTER', REG_URI);
  attempt(
    'REGISTER answer on INVITE to the registrar uri',
    await invite(stack, mallory, REG_URI, { 'Proxy-Authorization': regAuth }),
    [403],
  );
  const regForTarget = new DigestClient({ username: 'alice', password: 'alice-pw' }).authorize(regChallenge, 'REGISTER', target);
  attempt(
    'REGISTER-method answer for the INVITE target',
    await invite(stack, mallory, target, { 'Proxy-Authorization': regForTarget }),
    [403],
  );
  t.equal(
    (await register(stack, alice, 'alice', { Authorization: regAuth })).status,
    200,
    'alice uses her REGISTER answer herself',
  );
  attempt(
    'used REGISTER answer on INVITE (nc seen)',
    await invite(stack, mallory, REG_URI, { 'Proxy-Authorization': regAuth }),
    [407],
  );
  // INVITE answer used as a REGISTER (method bound the other way too).
  const invForReg = client.authorize(challenge, 'INVITE', REG_URI);
  const reg = await register(stack, mallory, 'alice', { Authorization: invForReg });
  attempt('INVITE-method answer on REGISTER', reg, [403]);

  t.same(calls, ['alice->15551234567'], 'no attack became a call');
  t.same(
    stack.app.registrar.lookup('alice').map((b) => b.source.host),
    ['127.0.0.1'],
    "only alice's own REGISTER bound",
  );
  t.comment(table.map(([n, s]) => `${n} -> ${s}`).join('\n'));
});

t.test('the caller is who authenticated, shown with the configured display name', async (t) => {
  const stack = await startStack(t, {
    credentials: async (u) => (u === 'alice' ? { password: 'alice-pw', displayName: 'Alice Liddell' } : undefined),
  });
  const seen: unknown[] = [];
  stack.app.on('call', (c) => {
    seen.push(c.from);
    c.reject(603);
  });
  const alice = await ua(t);
  const c = await invite(stack, alice, `sip:*43@${DOMAIN}`, { From: `"The CEO" <sip:ceo@${DOMAIN}>;tag=spoof` }, 'ceo');
  const auth = new DigestClient({ username: 'alice', password: 'alice-pw' }).authorize(
    pickChallenge(header(c, 'Proxy-Authenticate'))!,
    'INVITE',
    `sip:*43@${DOMAIN}`,
  );
  t.equal(
    (
      await invite(stack, alice, `sip:*43@${DOMAIN}`, {
        From: `"The CEO" <sip:ceo@${DOMAIN}>;tag=spoof2`,
        'Proxy-Authorization': auth,
      })
    ).status,
    603,
  );
  t.match(seen, [{ user: 'alice', displayName: 'Alice Liddell' }], 'From user and display name come from the account');
  // And the registrar's bindings carry it, for calls to alice.
  const r = await register(stack, alice, 'alice');
  const regAuth = new DigestClient({ username: 'alice', password: 'alice-pw' }).authorize(
    pickChallenge(header(r, 'WWW-Authenticate'))!,
    'REGISTER',
    REG_URI,
  );
  t.equal((await register(stack, alice, 'alice', { Authorization: regAuth })).status, 200);
  t.equal(stack.app.registrar.lookup('alice')[0]?.displayName, 'Alice Liddell');
});

t.test('a REGISTER answer captured on UDP and replayed over TCP is refused', async (t) => {
  const stack = await startStack(t, { tcp: true });
  const alice = await ua(t);
  const { auth } = await captureRegister(t, stack, alice);
  const sock = connect({ host: '127.0.0.1', port: stack.tcpPort!, localAddress: '127.0.0.2' });
  t.teardown(() => sock.destroy());
  await once(sock, 'connect');
  const local = `127.0.0.2:${sock.localPort}`;
  const text = [
    `REGISTER ${REG_URI} SIP/2.0`,
    `Via: SIP/2.0/TCP ${local};branch=z9hG4bKtcpreplay1`,
    'Max-Forwards: 70',
    `From: <sip:alice@${DOMAIN}>;tag=tcp1`,
    `To: <sip:alice@${DOMAIN}>`,
    'Call-ID: tcp-replay-1',
    'CSeq: 7 REGISTER',
    `Contact: <sip:alice@${local};transport=tcp>`,
    'Expires: 300',
    `Authorization: ${auth}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  let received = '';
  const status = new Promise<number>((resolve) => {
    sock.on('data', (d: Buffer) => {
      received += d.toString();
      const m = /^SIP\/2\.0 (\d{3}) /m.exec(received);
      if (m && Number(m[1]) >= 200) resolve(Number(m[1]));
    });
  });
  sock.write(text);
  t.equal(await status, 401, 'replay over TCP: 401');
  t.same(contactsOf(stack), [`127.0.0.1:${alice.port}`], 'the binding did not move to the TCP flow');
});
