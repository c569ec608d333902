import t from 'tap';
import { BAD_OFFER, until } from './fakes.js';
import { callLayer } from './harness.js';

t.test('an unknown number is answered 404 once, and the outcome is logged', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('nobody');
  await until(() => cl.outcomeLines('nobody').length > 0, 'the outcome log line');
  t.same(
    inv.finals.map((f) => f.status),
    [404],
    'one final response: 404',
  );
  t.equal(cl.media.sessions.length, 0, 'no media reserved for it');
  t.equal(cl.registry.size, 0, 'nothing left in the registry');
  const [line] = cl.outcomeLines('nobody');
  t.match(
    line,
    {
      level: 30,
      from: 'alice',
      to: 'nobody',
      route: 'unknown',
      status: 'failed',
      sipStatus: 404,
      reason: 'unknown number',
      sipCallId: inv.callId,
      durationMs: 0,
    },
    'logged at info with the fields an operator greps for',
  );
  t.type(line?.callId, 'string');
  t.equal(cl.outcomeLines('nobody').length, 1, 'logged once');
});

t.test('a carrier call to a number only a trunk reaches is refused 404 (no hairpin)', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('+15551234567', undefined, { kind: 'trunk', trunk: 'carrier' });
  await until(() => inv.finals.length > 0, 'a final response');
  t.same(
    inv.finals.map((f) => f.status),
    [404],
  );
  t.equal(cl.sip.attempts.length, 0, 'nothing dialed out');
});

t.test('no common codec: 488 once, media released', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('bob', BAD_OFFER);
  await until(() => cl.outcomeLines('bob').length > 0, 'the outcome');
  t.same(
    inv.finals.map((f) => [f.status, f.reason]),
    [[488, 'Not Acceptable Here']],
  );
  t.equal(cl.sip.attempts.length, 0, 'the callee was never rung');
  t.ok(cl.media.sessions[0]?.closed, 'the media session is closed');
  t.equal(cl.registry.size, 0);
  t.match(cl.outcomeLines('bob')[0], { status: 'failed', sipStatus: 488, reason: 'no common codec' });
});

t.test('an INVITE without SDP is refused 488', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('bob', '');
  await until(() => inv.finals.length > 0, 'a final response');
  t.same(
    inv.finals.map((f) => f.status),
    [488],
  );
});

t.test('media overload: 503 with Retry-After, once', async (t) => {
  const cl = callLayer();
  cl.media.overloadedFor = 7;
  const inv = cl.invite('*43');
  await until(() => cl.outcomeLines('*43').length > 0, 'the outcome');
  t.equal(inv.finals.length, 1, 'one final response');
  t.match(inv.finals[0], { status: 503, reason: 'Media Capacity Exceeded', headers: { 'Retry-After': '7' } });
  t.match(cl.outcomeLines('*43')[0], { status: 'failed', sipStatus: 503, reason: 'media overloaded' });
  t.equal(cl.registry.size, 0);
});

t.test('a registered-nowhere user: 480 once', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('carol');
  await until(() => inv.finals.length > 0, 'a final response');
  await until(() => cl.registry.size === 0, 'the call ended');
  t.same(
    inv.finals.map((f) => f.status),
    [480],
  );
  t.ok(cl.media.sessions[0]?.closed, 'media released');
  t.equal(cl.calls[0]?.status, 'no-answer');
});

t.test('a callee busy: the caller hears 486, the call ends busy', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('bob');
  const attempt = await cl.nextAttempt();
  attempt.ring();
  t.same(inv.provisional, [180], 'the caller hears ringing');
  attempt.fail(486, 'Busy Here');
  await until(() => inv.finals.length > 0, 'a final response');
  await until(() => cl.registry.size === 0, 'the call ended');
  t.same(
    inv.finals.map((f) => [f.status, f.reason]),
    [[486, 'Busy Here']],
  );
  t.equal(cl.calls[0]?.status, 'busy');
  t.match(cl.outcomeLines('bob')[0], { status: 'busy', sipStatus: 486, route: 'user' });
});

t.test('a callee failing with something odd: the caller hears 480', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('bob');
  (await cl.nextAttempt()).fail(502, 'Bad Gateway');
  await until(() => inv.finals.length > 0, 'a final response');
  t.same(
    inv.finals.map((f) => f.status),
    [480],
  );
  await until(() => cl.calls[0]?.isEnded() === true, 'ended');
  t.equal(cl.calls[0]?.status, 'failed');
});
