import t from 'tap';
import { until } from '../../helpers/wait.js';

// The code under test unrefs its timers (they must not hold a process open); the test must.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));
import { TrunkRegistration, type RegisterResponse } from '../../../sip/trunk-registration.js';
import { DigestServer } from '../../../sip/digest-server.js';

function response(status: number, headers: Record<string, string> = {}): RegisterResponse {
  return {
    status,
    reason: String(status),
    get: (n) => headers[Object.keys(headers).find((k) => k.toLowerCase() === n.toLowerCase()) ?? ''],
  };
}

t.test('challenge answered, refresh before expiry, un-REGISTER on stop', async (t) => {
  const server = new DigestServer({ realm: 'carrier', algorithms: ['SHA-256'], nonceTtlMs: 60_000, acceptRfc2069: false });
  const seen: { expires: string; cseq: string; callId: string; auth: boolean }[] = [];
  const reg = new TrunkRegistration({
    trunk: 't1',
    registrarUri: 'sip:carrier',
    aor: 'sip:acct@carrier',
    contact: 'sip:acct@localhost;line=abc',
    expires: 6,
    username: 'acct',
    password: 'pw',
    send: async ({ headers }) => {
      seen.push({ expires: headers.Expires!, cseq: headers.CSeq!, callId: headers['Call-ID']!, auth: !!headers.Authorization });
      if (!headers.Authorization) return response(401, { 'WWW-Authenticate': server.challenge()[0]! });
      const parsed = server.parse(headers.Authorization);
      if (!parsed.ok) return response(403);
      const v = server.verify(
        parsed.answer,
        { method: 'REGISTER', uri: 'sip:carrier' },
        parsed.answer.username === 'acct' ? 'pw' : undefined,
      );
      if (!v.ok) return response(403);
      return response(200, { Contact: `<sip:acct@127.0.0.1;line=abc>;expires=${headers.Expires}` });
    },
  });
  const registered: number[] = [];
  reg.on('registered', ({ expires }) => registered.push(expires));
  reg.start();
  t.teardown(() => reg.stop());
  await until(() => registered.length >= 2, { timeoutMs: 5000 });
  t.same(registered, [6, 6], 'registered and refreshed once (refresh at 1 s = 6 - 5)');
  t.equal(reg.state, 'registered');
  t.ok(
    seen.every((s) => s.callId === seen[0]!.callId),
    'same Call-ID throughout',
  );
  const cseqs = seen.map((s) => parseInt(s.cseq, 10));
  t.same(
    cseqs,
    [...cseqs].sort((a, b) => a - b),
    'CSeq increases',
  );
  t.equal(new Set(cseqs).size, cseqs.length);
  const unreg = new Promise<void>((r) => reg.once('unregistered', () => r()));
  await reg.stop();
  await unreg;
  t.equal(seen.at(-1)!.expires, '0');
  t.equal(seen.at(-1)!.auth, true);
});

t.test('exponential backoff while the carrier is down, then recovery', async (t) => {
  let up = false;
  const times: number[] = [];
  const reg = new TrunkRegistration({
    trunk: 't2',
    registrarUri: 'sip:carrier',
    aor: 'sip:a@c',
    contact: 'sip:a@localhost',
    expires: 60,
    retry: { baseMs: 50, maxMs: 400 },
    requestTimeoutMs: 100,
    send: async () => {
      times.push(Date.now());
      if (!up) return new Promise<RegisterResponse>(() => undefined); // never answers
      return response(200, { Expires: '60' });
    },
  });
  const failures: number[] = [];
  reg.on('failed', ({ status, retryInMs }) => {
    t.equal(status, 408);
    failures.push(retryInMs);
  });
  reg.start();
  t.teardown(() => reg.stop());
  await until(() => failures.length >= 4, { timeoutMs: 5000 });
  t.ok(failures.length >= 4, `several failures (${failures.length})`);
  t.ok(failures[1]! > failures[0]! * 1.5 && failures[2]! > failures[1]! * 1.5, `backoff grows: ${failures.join(',')}`);
  t.ok(Math.max(...failures) <= 400 * 1.1, 'capped');
  up = true;
  const ok = await new Promise<number>((r) => reg.once('registered', ({ expires }) => r(expires)));
  t.equal(ok, 60);
  t.equal(reg.state, 'registered');
});

t.test('403 with wrong password is a failure, not a loop; 423 raises expires', async (t) => {
  let calls = 0;
  const server = new DigestServer({ realm: 'c', algorithms: ['MD5'], nonceTtlMs: 60_000, acceptRfc2069: false });
  const reg = new TrunkRegistration({
    trunk: 't3',
    registrarUri: 'sip:c',
    aor: 'sip:a@c',
    contact: 'sip:a@localhost',
    expires: 60,
    username: 'a',
    password: 'wrong',
    retry: { baseMs: 10_000, maxMs: 10_000 },
    send: async ({ headers }) => {
      calls++;
      if (!headers.Authorization) return response(401, { 'WWW-Authenticate': server.challenge()[0]! });
      return response(401, { 'WWW-Authenticate': server.challenge()[0]! });
    },
  });
  const failed = new Promise<number>((r) => reg.once('failed', ({ status }) => r(status)));
  reg.start();
  t.teardown(() => reg.stop());
  t.equal(await failed, 401);
  t.equal(calls, 2, 'one answer to the challenge, no more');

  const expiresSeen: string[] = [];
  const reg2 = new TrunkRegistration({
    trunk: 't4',
    registrarUri: 'sip:c',
    aor: 'sip:a@c',
    contact: 'sip:a@localhost',
    expires: 60,
    send: async ({ headers }) => {
      expiresSeen.push(headers.Expires!);
      if (Number(headers.Expires) < 300) return response(423, { 'Min-Expires': '300' });
      return response(200, {});
    },
  });
  const ok = new Promise<number>((r) => reg2.once('registered', ({ expires }) => r(expires)));
  reg2.start();
  t.teardown(() => reg2.stop());
  t.equal(await ok, 300);
  t.same(expiresSeen, ['60', '300']);
});

t.test('stop() does not hang when the carrier stops answering', async (t) => {
  let answer = true;
  const reg = new TrunkRegistration({
    trunk: 't5',
    registrarUri: 'sip:c',
    aor: 'sip:a@c',
    contact: 'sip:a@localhost',
    expires: 60,
    send: async () => (answer ? response(200, {}) : new Promise<RegisterResponse>(() => undefined)),
  });
  const ok = new Promise<void>((r) => reg.once('registered', () => r()));
  reg.start();
  await ok;
  answer = false;
  const started = Date.now();
  await reg.stop();
  const took = Date.now() - started;
  t.ok(took >= 3500 && took < 6000, `un-REGISTER gave up after ${took} ms`);
  t.equal(reg.state, 'stopped');
});
