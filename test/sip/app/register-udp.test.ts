import t from 'tap';
import { DigestClient, pickChallenge } from '../../../sip/digest.js';
import { startStack } from './harness.js';
import type { TeardownHost } from '../../helpers/sipp.js';
import { UdpUa, buildRequest, header, type WireResponse } from './udp-ua.js';

interface Reg {
  ua: UdpUa;
  port: number;
  cseq: number;
  callId: string;
}

async function register(
  r: Reg,
  user: string,
  password: string,
  contact: string | string[],
  expires?: number,
  alg?: string,
): Promise<WireResponse> {
  const base: Record<string, string | string[]> = {
    From: `<sip:${user}@switchboard.test>;tag=t${r.callId}`,
    To: `<sip:${user}@switchboard.test>`,
    'Call-ID': r.callId,
    Contact: contact,
    'User-Agent': 'node-ua',
  };
  if (expires !== undefined) base.Expires = String(expires);
  const first = await r.ua.request(
    buildRequest('REGISTER', 'sip:switchboard.test', r.ua, { ...base, CSeq: `${r.cseq++} REGISTER` }),
    r.port,
  );
  if (first.status !== 401) return first;
  const values = header(first, 'WWW-Authenticate');
  let challenge = pickChallenge(values);
  if (alg && challenge) challenge = { ...challenge, algorithm: alg };
  const auth = new DigestClient({ username: user, password }).authorize(challenge!, 'REGISTER', 'sip:switchboard.test');
  return r.ua.request(
    buildRequest('REGISTER', 'sip:switchboard.test', r.ua, { ...base, CSeq: `${r.cseq++} REGISTER`, Authorization: auth }),
    r.port,
  );
}

async function setup(t: TeardownHost, opts: { nonceTtlMs?: number } = {}) {
  const stack = await startStack(t, opts);
  const ua = new UdpUa();
  await ua.open();
  t.teardown(() => ua.close());
  const reg = (callId: string): Reg => ({ ua, port: stack.udpPort, cseq: 1, callId });
  return { stack, ua, reg };
}

t.test('SHA-256 (RFC 8760) is offered and accepted', async (t) => {
  const { stack, ua, reg } = await setup(t);
  const res = await register(reg('sha'), 'alice', 'alice-pw', `<sip:alice@127.0.0.1:${ua.port}>`, 300);
  t.equal(res.status, 200);
  t.match(res.raw, /WWW-Authenticate|Contact/);
  t.match(header(res, 'Contact').join(','), new RegExp(`<sip:alice@127.0.0.1:${ua.port}>;expires=(300|299)`));
  t.equal(stack.app.registrar.lookup('alice').length, 1);
  // Both algorithms were offered in the challenge, and the client above picked SHA-256.
  const probe = await ua.request(
    buildRequest('REGISTER', 'sip:switchboard.test', ua, {
      From: '<sip:alice@switchboard.test>;tag=p',
      To: '<sip:alice@switchboard.test>',
      'Call-ID': 'probe',
      CSeq: '1 REGISTER',
    }),
    stack.udpPort,
  );
  t.equal(probe.status, 401);
  // One header line per challenge (RFC 3261 §7.3.1): sip.js drops a response whose challenges share a line.
  const lines = probe.headers.filter((h) => h.name.toLowerCase() === 'www-authenticate').map((h) => h.value);
  t.equal(lines.length, 2, 'two WWW-Authenticate lines');
  t.match(lines[0], /^Digest .*algorithm=MD5/);
  t.match(lines[1], /^Digest .*algorithm=SHA-256/);
  const www = lines.join(', ');
  t.match(www, /qop="auth"/);
});

t.test('several contacts, 200 lists them all; un-REGISTER one, then wildcard', async (t) => {
  const { stack, ua, reg } = await setup(t);
  const a = reg('multi-a');
  const r1 = await register(
    a,
    'alice',
    'alice-pw',
    [`<sip:alice@127.0.0.1:${ua.port};ob>`, `<sip:alice@10.9.9.9:5060>;expires=120`],
    600,
  );
  t.equal(r1.status, 200);
  const b = reg('multi-b');
  const r2 = await register(b, 'alice', 'alice-pw', `<sip:alice@10.8.8.8:5070;transport=tcp>`, 900, 'MD5');
  t.equal(r2.status, 200);
  const contacts = header(r2, 'Contact').join(', ');
  t.match(contacts, /<sip:alice@10\.8\.8\.8:5070;transport=tcp>;expires=(900|899)/);
  t.match(contacts, /<sip:alice@10\.9\.9\.9:5060>;expires=1[12]\d/);
  t.match(contacts, new RegExp(`<sip:alice@127\\.0\\.0\\.1:${ua.port};ob>;expires=(600|599)`));
  t.equal(stack.app.registrar.lookup('alice').length, 3);
  t.equal(stack.app.registrar.lookup('alice')[0]!.contact, 'sip:alice@10.8.8.8:5070;transport=tcp', 'most recent first');

  const r3 = await register(a, 'alice', 'alice-pw', `<sip:alice@10.9.9.9:5060>`, 0);
  t.equal(r3.status, 200);
  t.notMatch(header(r3, 'Contact').join(','), /10\.9\.9\.9/);
  t.equal(stack.app.registrar.lookup('alice').length, 2);

  const r4 = await register(a, 'alice', 'alice-pw', '*', 0);
  t.equal(r4.status, 200);
  t.same(header(r4, 'Contact'), []);
  t.same(stack.app.registrar.lookup('alice'), []);
});

t.test('423 Interval Too Brief carries Min-Expires; no binding', async (t) => {
  const { stack, ua, reg } = await setup(t);
  const res = await register(reg('brief'), 'bob', 'bob-pw', `<sip:bob@127.0.0.1:${ua.port}>`, 10);
  t.equal(res.status, 423);
  t.same(header(res, 'Min-Expires'), ['60']);
  t.same(stack.app.registrar.lookup('bob'), []);
});

t.test('credentials of one user cannot register another AOR; unknown user is forbidden', async (t) => {
  const { stack, ua, reg } = await setup(t);
  const r = reg('steal');
  const base = {
    From: '<sip:bob@switchboard.test>;tag=x',
    To: '<sip:bob@switchboard.test>',
    'Call-ID': r.callId,
    Contact: `<sip:x@127.0.0.1:${ua.port}>`,
  };
  const c = await ua.request(
    buildRequest('REGISTER', 'sip:switchboard.test', ua, { ...base, CSeq: '1 REGISTER' }),
    stack.udpPort,
  );
  const auth = new DigestClient({ username: 'alice', password: 'alice-pw' }).authorize(
    pickChallenge(header(c, 'WWW-Authenticate'))!,
    'REGISTER',
    'sip:switchboard.test',
  );
  const res = await ua.request(
    buildRequest('REGISTER', 'sip:switchboard.test', ua, { ...base, CSeq: '2 REGISTER', Authorization: auth }),
    stack.udpPort,
  );
  t.equal(res.status, 403);
  t.same(stack.app.registrar.lookup('bob'), []);
  const mallory = await register(reg('mallory'), 'mallory', 'x', `<sip:m@127.0.0.1:${ua.port}>`, 300);
  t.equal(mallory.status, 403);
});

t.test('an expired nonce is re-challenged with stale=true', async (t) => {
  const { ua, stack } = await setup(t, { nonceTtlMs: 50 });
  const base = {
    From: '<sip:alice@switchboard.test>;tag=s',
    To: '<sip:alice@switchboard.test>',
    'Call-ID': 'stale',
    Contact: `<sip:alice@127.0.0.1:${ua.port}>`,
  };
  const c = await ua.request(
    buildRequest('REGISTER', 'sip:switchboard.test', ua, { ...base, CSeq: '1 REGISTER' }),
    stack.udpPort,
  );
  await new Promise((r) => setTimeout(r, 120)); // the test: outlive the 50 ms nonce
  const auth = new DigestClient({ username: 'alice', password: 'alice-pw' }).authorize(
    pickChallenge(header(c, 'WWW-Authenticate'))!,
    'REGISTER',
    'sip:switchboard.test',
  );
  const res = await ua.request(
    buildRequest('REGISTER', 'sip:switchboard.test', ua, { ...base, CSeq: '2 REGISTER', Authorization: auth }),
    stack.udpPort,
  );
  t.equal(res.status, 401);
  t.match(header(res, 'WWW-Authenticate').join(','), /stale=true/);
});
