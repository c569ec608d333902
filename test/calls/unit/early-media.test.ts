import t from 'tap';
import { CALLEE_SDP, until, type FakeEndpoint } from './fakes.js';
import { callLayer } from './harness.js';

t.test("a callee's 183 with SDP: bridged before the answer, the caller gets 183 with our SDP", async (t) => {
  const cl = callLayer();
  const inv = cl.invite('+15551234567');
  const attempt = await cl.nextAttempt();
  attempt.ring(183, CALLEE_SDP);
  const session = () => cl.media.sessions[0]!;
  await until(() => inv.provisional.length === 1, 'the 183 to the caller');
  t.same(inv.provisional, [183], '183, not a bare 180');
  t.equal(session().bridges.length, 1, 'caller and callee bridged while ringing');
  const [callerEp, calleeEp] = session().bridges[0]! as [FakeEndpoint, FakeEndpoint];
  t.equal(calleeEp.remoteAnswer, CALLEE_SDP, 'the callee endpoint sends to the early media address');
  attempt.ring(180);
  t.same(inv.provisional, [183], 'a later 180 does not cut the early media off');
  attempt.answer();
  await until(() => inv.dialog !== undefined, 'the caller answered');
  t.equal(inv.dialog!.localSdp, inv.earlySdp, "the 200 repeats the 183's SDP");
  await until(() => cl.calls[0]?.status === 'in-progress', 'in progress');
  t.equal(session().bridges.length, 1, 'bridged once');
  t.equal(calleeEp.remoteAnswer, CALLEE_SDP);
  t.equal(calleeEp.remoteAnswers, 1, 'the same answer is not applied twice');
  t.same(
    inv.finals.map((f) => f.status),
    [200],
  );
  t.not(callerEp, calleeEp);
});

t.test('a 200 whose SDP differs from the early one is applied', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('+15551234567');
  const attempt = await cl.nextAttempt();
  attempt.ring(183, CALLEE_SDP);
  await until(() => inv.provisional.length === 1, 'the 183');
  const other = 'v=0\r\nm=audio 5002 RTP/AVP 0\r\n';
  attempt.answer(other);
  await until(() => inv.dialog !== undefined, 'answered');
  const calleeEp = cl.media.sessions[0]!.bridges[0]![1] as FakeEndpoint;
  t.equal(calleeEp.remoteAnswer, other);
});

t.test('unusable early SDP: the caller hears a plain 180 and nothing is bridged early', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('+15551234567');
  const attempt = await cl.nextAttempt();
  attempt.ring(183, 'v=0\r\nm=audio 5000 RTP/AVP 99\r\n');
  await until(() => inv.provisional.length === 1, 'a provisional');
  t.same(inv.provisional, [180]);
  t.equal(cl.media.sessions[0]!.bridges.length, 0);
});

t.test('caller CANCEL during early media: callee CANCELed, 487 only', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('+15551234567');
  const attempt = await cl.nextAttempt();
  attempt.ring(183, CALLEE_SDP);
  await until(() => inv.provisional.length === 1, 'the 183');
  inv.cancelByCaller();
  await until(() => cl.registry.size === 0, 'ended');
  t.ok(attempt.canceled);
  t.same(
    inv.finals.map((f) => f.status),
    [487],
  );
});
