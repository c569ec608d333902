import t from 'tap';
import { SHUTDOWN } from '../../../src/calls/call-service.js';
import { until } from './fakes.js';
import { callLayer, settle } from './harness.js';

/** alice calls bob and bob answers: the call is up and bridged. */
async function connected(cl: ReturnType<typeof callLayer>) {
  const inv = cl.invite('bob');
  const attempt = await cl.nextAttempt();
  attempt.ring();
  const callee = attempt.answer();
  await until(() => inv.dialog !== undefined, 'the caller answered');
  const call = cl.calls[0]!;
  await until(() => cl.media.sessions[0]!.bridges.length === 1, 'the bridge');
  return { inv, attempt, callee, caller: inv.dialog!, call };
}

t.test('connected call: 200 once, bridged, status events queued -> ringing -> in-progress', async (t) => {
  const cl = callLayer();
  const statuses: string[] = [];
  cl.registry.once('added', (c) => c.on('status', (e) => statuses.push(e.status)));
  const { inv, call, attempt } = await connected(cl);
  t.same(
    inv.finals.map((f) => f.status),
    [200],
  );
  t.same(inv.provisional, [180]);
  t.same(statuses, ['ringing', 'in-progress']);
  t.equal(call.status, 'in-progress');
  t.equal(call.state, 'active');
  t.same(
    call.legs.map((l) => l.role),
    ['callee', 'caller'],
  );
  t.match(attempt.request, { from: { user: 'alice' } }, 'bob sees alice calling');
  t.same(attempt.target, { user: 'bob' });
  t.same(
    cl.media.sessions[0]!.endpoints.map((e) => e.opts.maxPlaybackRate),
    [undefined, 8000],
    "bob's leg is offered Opus no wider than 8 kHz: alice's leg settled on G.711",
  );
});

for (const side of ['caller', 'callee'] as const) {
  t.test(`BYE from the ${side} ends both legs`, async (t) => {
    const cl = callLayer();
    const c = await connected(cl);
    const ended = new Promise((resolve) => c.call.once('ended', resolve));
    (side === 'caller' ? c.caller : c.callee).remoteBye();
    t.match(await ended, { status: 'completed', sipStatus: 200, reason: `${side} hung up` });
    const other = side === 'caller' ? c.callee : c.caller;
    t.equal(other.byes, 1, `the ${side === 'caller' ? 'callee' : 'caller'} got one BYE`);
    t.equal((side === 'caller' ? c.caller : c.callee).byes, 0, 'no BYE back to who hung up');
    t.ok(cl.media.sessions[0]!.closed, 'media released');
    t.equal(cl.registry.size, 0);
    t.same(
      c.inv.finals.map((f) => f.status),
      [200],
      'still one final response',
    );
    t.equal(cl.outcomeLines('bob').length, 1, 'the outcome logged once');
  });
}

t.test('ring timeout: the callee is CANCELed, the caller hears 480 once', async (t) => {
  const cl = callLayer({ ringTimeoutMs: 30 });
  const inv = cl.invite('bob');
  const attempt = await cl.nextAttempt();
  attempt.ring();
  await until(() => attempt.canceled, 'the CANCEL');
  await until(() => cl.registry.size === 0, 'the call ended');
  t.same(
    inv.finals.map((f) => [f.status, f.reason]),
    [[480, 'No Answer']],
  );
  t.equal(cl.calls[0]?.status, 'no-answer');
  t.ok(cl.media.sessions[0]!.closed);
  t.match(cl.outcomeLines('bob')[0], { status: 'no-answer', sipStatus: 480, reason: 'no answer' });
});

t.test("ring timeout while the callee's 200 crosses our CANCEL: callee BYE, caller 480", async (t) => {
  const cl = callLayer({ ringTimeoutMs: 30 });
  const inv = cl.invite('bob');
  const attempt = await cl.nextAttempt();
  // The 200 is already on its way: the CANCEL does not stop it.
  attempt.settled = true;
  await until(() => attempt.canceled, 'the CANCEL');
  const callee = attempt.answer();
  await until(() => callee.byes === 1, 'the BYE to the late callee');
  await until(() => cl.registry.size === 0, 'the call ended');
  t.same(
    inv.finals.map((f) => f.status),
    [480],
  );
  t.equal(cl.calls[0]?.legs.length, 0, 'the late callee never joined');
});

t.test('caller CANCEL while the callee rings: callee CANCELed, 487 from the stack only', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('bob');
  const attempt = await cl.nextAttempt();
  attempt.ring();
  inv.cancelByCaller();
  await until(() => cl.registry.size === 0, 'the call ended');
  t.ok(attempt.canceled, 'the callee was CANCELed');
  t.same(inv.finals, [{ status: 487, byStack: true }], 'one final response: 487');
  t.equal(cl.calls[0]?.status, 'canceled');
  t.match(cl.outcomeLines('bob')[0], { status: 'canceled', sipStatus: 487, reason: 'caller canceled' });
});

t.test("CANCEL crossing the callee's 200: callee gets BYE, caller 487, one final response", async (t) => {
  const cl = callLayer();
  const inv = cl.invite('bob');
  const attempt = await cl.nextAttempt();
  attempt.ring();
  // Same instant: bob's 200 arrives and alice's CANCEL arrives.
  const callee = attempt.answer();
  inv.cancelByCaller();
  await until(() => cl.registry.size === 0, 'the call ended');
  await until(() => callee.byes === 1, 'the BYE to bob');
  t.same(
    inv.finals.map((f) => f.status),
    [487],
  );
  t.equal(inv.dialog, undefined, 'alice was never answered');
  t.equal(cl.calls[0]?.status, 'canceled');
});

t.test('CANCEL crossing our 200 to the caller: callee gets BYE, caller ends 487', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('bob');
  let ack!: () => void;
  inv.ackGate = new Promise((r) => {
    ack = r;
  });
  const attempt = await cl.nextAttempt();
  const callee = attempt.answer();
  await until(() => inv.finals.length === 1, 'our 200 to alice');
  inv.cancelByCaller();
  ack();
  await until(() => cl.registry.size === 0, 'the call ended');
  t.equal(callee.byes, 1, 'bob got a BYE');
  t.same(
    inv.finals.map((f) => f.status),
    [200],
    'one final response',
  );
  t.equal(cl.calls[0]?.status, 'canceled');
  t.equal(cl.calls[0]?.answeredAt, undefined);
});

t.test('shutdown while ringing: caller 503 once, callee CANCELed', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('bob');
  const attempt = await cl.nextAttempt();
  attempt.ring();
  await cl.registry.endAll(SHUTDOWN);
  await cl.service.drain(1000);
  t.same(
    inv.finals.map((f) => [f.status, f.reason]),
    [[503, 'Shutting Down']],
  );
  t.ok(attempt.canceled, 'the callee was CANCELed');
  t.equal(cl.calls[0]?.status, 'failed');
  t.ok(cl.media.sessions[0]!.closed);
  await settle();
  t.equal(inv.finals.length, 1, 'still one final response after the dust settles');
});

t.test('shutdown of an answered call: BYE to both, completed', async (t) => {
  const cl = callLayer();
  const c = await connected(cl);
  await cl.registry.endAll(SHUTDOWN);
  t.equal(c.caller.byes, 1);
  t.equal(c.callee.byes, 1);
  t.equal(c.call.status, 'completed');
  t.equal(c.call.sipStatus, 200, "an answered call's SIP outcome stays 200");
  t.same(
    c.inv.finals.map((f) => f.status),
    [200],
  );
});

t.test('hangup() is idempotent and ends the call once', async (t) => {
  const cl = callLayer();
  const c = await connected(cl);
  let ended = 0;
  c.call.on('ended', () => ended++);
  await Promise.all([c.call.hangup('api'), c.call.hangup('api again'), c.call.hangup()]);
  t.equal(ended, 1);
  t.equal(c.call.endReason, 'api');
  t.equal(c.caller.byes + c.callee.byes, 2);
});

t.test('recording on: both parties recorded once bridged', async (t) => {
  const cl = callLayer({ recording: true });
  const c = await connected(cl);
  await until(() => cl.lines.some((l) => l.msg === 'recording'), 'the recording');
  t.ok(cl.lines.some((l) => l.msg === 'recording' && l.path === `/nonexistent/${c.call.id}.wav`));
});
