/**
 * Password guessing: the AuthThrottle alone (lock, back-off, trust, bounded memory), then a brute
 * force against the registrar over UDP: the guesser is locked out after a few tries, every failure
 * is logged at warn with source and user and counted, and everybody else keeps registering.
 */
import t from 'tap';
import { pino } from 'pino';
import { AuthThrottle } from '../../../sip/auth-throttle.js';
import { throttleAddress } from '../../../sip/sip-auth.js';
import { DigestClient, pickChallenge } from '../../../sip/digest.js';
import { defaultThrottle, startStack, type Stack } from './harness.js';
import type { TeardownHost } from '../../helpers/sipp.js';
import { UdpUa, buildRequest, header, type WireResponse } from './udp-ua.js';

t.test('AuthThrottle: locks after maxFailures in the window, doubles the lock, forgives on success', async (t) => {
  let now = 0;
  const th = new AuthThrottle({
    maxFailures: 3,
    windowMs: 10_000,
    blockMs: 1000,
    maxBlockMs: 4000,
    trustMs: 60_000,
    maxKeys: 100,
    now: () => now,
  });
  t.equal(th.fail('k').blocked, false);
  t.equal(th.fail('k').blocked, false);
  t.same(th.fail('k'), { blocked: true, retryAfterMs: 1000, trusted: false }, 'third failure locks');
  t.equal(th.check('k').blocked, true);
  t.equal(th.check('other').blocked, false, 'other keys are not affected');
  now += 1001;
  t.equal(th.check('k').blocked, false, 'lock over');
  t.same(
    th.fail('k'),
    { blocked: true, retryAfterMs: 2000, trusted: false },
    'one more failure in the series locks again, twice as long',
  );
  now += 2001;
  t.equal(th.fail('k').retryAfterMs, 4000);
  now += 4001;
  t.equal(th.fail('k').retryAfterMs, 4000, 'capped at maxBlockMs');
  now += 4001 + 4001;
  t.equal(th.fail('k').blocked, false, 'quiet for a full maximum lock: the series is over');
  th.succeed('k');
  t.same(th.check('k'), { blocked: false, retryAfterMs: 0, trusted: true });
  now += 60_001;
  t.equal(th.check('k').trusted, false, 'trust lapses');
  // Failures spread wider than the window never lock.
  for (let i = 0; i < 10; i++) {
    now += 5001;
    t.equal(th.fail('slow').blocked, false);
  }
  const s = th.stats();
  t.equal(s.lockouts, 4);
  t.ok(s.failures >= 17);
});

t.test('AuthThrottle: memory is bounded, and a flood of fresh keys does not unlock a locked one', async (t) => {
  const now = 0;
  const th = new AuthThrottle({
    maxFailures: 1,
    windowMs: 10_000,
    blockMs: 60_000,
    maxBlockMs: 60_000,
    trustMs: 0,
    maxKeys: 100,
    now: () => now,
  });
  th.fail('attacker');
  for (let i = 0; i < 5000; i++) th.check(`k${i}`), th.succeed(`k${i}`);
  t.ok(th.stats().tracked <= 100, `tracked ${th.stats().tracked}`);
  t.equal(th.check('attacker').blocked, true, 'still locked');
});

t.test('throttleAddress: IPv4 as is, IPv6 by /64, mapped IPv4 unwrapped', async (t) => {
  t.equal(throttleAddress('192.0.2.7'), '192.0.2.7');
  t.equal(throttleAddress('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(throttleAddress('2001:db8:0:1::5'), '2001:db8:0:1::/64');
  t.equal(throttleAddress('2001:db8:0:1:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
  t.equal(throttleAddress('[2001:DB8::1]'), '2001:db8:0:0::/64');
});

interface LogLine {
  level: number;
  msg: string;
  user?: string;
  source?: string;
  reason?: string;
  [k: string]: unknown;
}

async function ua(t: TeardownHost, host: string): Promise<UdpUa> {
  const u = new UdpUa();
  await u.open(host);
  t.teardown(() => u.close());
  return u;
}

let seq = 0;
function register(stack: Stack, from: UdpUa, user: string, auth?: string): Promise<WireResponse> {
  seq++;
  const h: Record<string, string> = {
    From: `<sip:${user}@switchboard.test>;tag=b${seq}`,
    To: `<sip:${user}@switchboard.test>`,
    'Call-ID': `bf-${seq}`,
    CSeq: `${seq} REGISTER`,
    Contact: `<sip:${user}@${from.host}:${from.port}>`,
    Expires: '300',
  };
  if (auth) h.Authorization = auth;
  return from.request(buildRequest('REGISTER', 'sip:switchboard.test', from, h), stack.udpPort);
}

/** A full REGISTER (challenge, answer) with `password`; the final status. */
async function login(stack: Stack, from: UdpUa, user: string, password: string): Promise<WireResponse> {
  const c = await register(stack, from, user);
  if (c.status !== 401) return c;
  const auth = new DigestClient({ username: user, password }).authorize(
    pickChallenge(header(c, 'WWW-Authenticate'))!,
    'REGISTER',
    'sip:switchboard.test',
  );
  return register(stack, from, user, auth);
}

t.test('brute force on the registrar: locked out, logged at warn, counted; others register meanwhile', async (t) => {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (s: string) => {
        lines.push(JSON.parse(s) as LogLine);
      },
    },
  );
  const throttle = defaultThrottle();
  const stack = await startStack(t, { logger, throttle });
  const attacker = await ua(t, '127.0.0.1');
  const alicePhone = await ua(t, '127.0.0.3');
  const bobPhone = await ua(t, '127.0.0.2');
  const newcomer = await ua(t, '127.0.0.4');
  t.equal((await login(stack, alicePhone, 'alice', 'alice-pw')).status, 200, "alice's phone registered before the attack");

  // The guesser reuses one challenge, a new wrong password (and nc) each time, as fast as answers come.
  const c = await register(stack, attacker, 'alice');
  const challenge = pickChallenge(header(c, 'WWW-Authenticate'))!;
  const N = 300;
  const statuses = new Map<string, number>();
  const started = Date.now();
  let bobDuring: number | undefined;
  let aliceDuring: number | undefined;
  for (let i = 0; i < N; i++) {
    const auth = new DigestClient({ username: 'alice', password: `guess-${i}` }).authorize(
      challenge,
      'REGISTER',
      'sip:switchboard.test',
    );
    const res = await register(stack, attacker, 'alice', auth);
    const key = `${res.status} ${res.reason}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    if (i === N / 2) {
      // Mid-attack: another user from another address, and alice's own phone from where she registered.
      bobDuring = (await login(stack, bobPhone, 'bob', 'bob-pw')).status;
      aliceDuring = (await login(stack, alicePhone, 'alice', 'alice-pw')).status;
    }
  }
  const elapsed = Date.now() - started;
  const maxFailures = 10;
  t.comment(`${N} wrong passwords in ${elapsed} ms: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.equal(statuses.get('403 Forbidden'), maxFailures, `only ${maxFailures} guesses were checked`);
  t.equal(statuses.get('403 Too Many Failed Attempts'), N - maxFailures, 'the rest were refused unexamined');
  t.equal(bobDuring, 200, 'bob registered from 127.0.0.2 during the attack');
  t.equal(aliceDuring, 200, "alice's phone re-registered from its known address during the attack");

  // Even the right password is refused from the locked source, and for alice from a new address.
  t.equal((await login(stack, attacker, 'alice', 'alice-pw')).status, 403, 'locked source: refused even with the right password');
  t.equal((await login(stack, newcomer, 'alice', 'alice-pw')).status, 403, 'locked account from an unknown address: refused');
  t.equal((await login(stack, newcomer, 'bob', 'bob-pw')).status, 200, 'bob from a new address is fine');
  t.same(
    stack.app.registrar.lookup('alice').map((b) => b.source.host),
    ['127.0.0.3'],
    'the attacker never bound a contact',
  );

  const warns = lines.filter((l) => l.level === 40 && l.msg === 'authentication failed');
  t.equal(warns.length, maxFailures, 'one warn line per checked failure');
  t.ok(
    warns.every((l) => l.user === 'alice' && l.source === '127.0.0.1' && l.reason === 'bad-response'),
    'warn lines carry user, source and reason',
  );
  t.ok(
    lines.some((l) => l.level === 40 && l.msg === 'authentication locked after repeated failures' && l.source === '127.0.0.1'),
    'the lockout is logged at warn',
  );
  t.equal(stack.app.authStats().failures['bad-response'], maxFailures, 'metric: failures by reason');
  t.ok(stack.app.authStats().throttled >= N - maxFailures, 'metric: throttled requests');
  t.ok(
    throttle.stats().failures >= maxFailures && throttle.stats().lockouts >= 2,
    `throttle stats ${JSON.stringify(throttle.stats())}`,
  );

  const registered = lines.filter((l) => l.msg === 'REGISTER registered');
  t.ok(registered.length >= 4 && registered.every((l) => l.level === 30), 'successful REGISTERs logged at info');
  t.match(
    registered.find((l) => l.user === 'bob'),
    { user: 'bob', contact: String, source: /^udp:127\.0\.0\.[24]:\d+$/, expires: 300, result: 200 },
  );
});
