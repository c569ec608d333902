import t from 'tap';
import type { CallStatusEvent } from '../../../src/calls/call.js';
import { until } from './fakes.js';
import { callLayer } from './harness.js';

t.test('API call: ring the agent, then dial a number and bridge; hangup() sends BYE to both', async (t) => {
  const cl = callLayer();
  const call = await cl.service.originate({
    to: { user: 'bob' },
    from: { user: '+15550001111' },
    connect: { trunk: 'carrier', number: '+15552223333' },
  });
  const statuses: CallStatusEvent[] = [];
  call.on('status', (e) => statuses.push(e));
  t.equal(cl.registry.get(call.id), call, 'registered');
  t.equal(call.direction, 'outbound');
  const agent = await cl.nextAttempt(0);
  t.same(agent.target, { user: 'bob' });
  agent.ring();
  t.equal(call.status, 'ringing');
  const agentDialog = agent.answer();
  const pstn = await cl.nextAttempt(1);
  t.equal(call.status, 'in-progress', 'in progress once the agent answered');
  t.same(pstn.target, { trunk: 'carrier', number: '+15552223333' });
  t.match(pstn.request, { from: { user: '+15550001111' } });
  const pstnDialog = pstn.answer();
  await until(() => cl.media.sessions[0]!.bridges.length === 1, 'the bridge');
  t.same(
    call.legs.map((l) => l.role),
    ['caller', 'callee'],
  );
  await call.hangup('api hangup');
  t.equal(agentDialog.byes, 1);
  t.equal(pstnDialog.byes, 1);
  t.equal(call.status, 'completed');
  t.same(
    statuses.map((s) => s.status),
    ['ringing', 'in-progress', 'completed'],
  );
  t.match(statuses[2], { sipStatus: 200, reason: 'api hangup' });
  t.ok(cl.media.sessions[0]!.closed);
  t.equal(cl.registry.size, 0);
});

t.test('API call hung up while ringing: CANCEL, status canceled', async (t) => {
  const cl = callLayer();
  const call = await cl.service.originate({ to: { trunk: 'carrier', number: '+15552223333' } });
  const attempt = await cl.nextAttempt(0);
  attempt.ring();
  await call.hangup('api hangup');
  t.ok(attempt.canceled, 'CANCEL sent');
  t.equal(call.status, 'canceled');
  await cl.service.drain(1000);
  t.equal(cl.sip.attempts.length, 1, 'nothing else dialed');
});

t.test('API call whose first party is busy ends busy; one that rings out ends no-answer', async (t) => {
  const cl = callLayer({ ringTimeoutMs: 30 });
  const busy = await cl.service.originate({ to: { user: 'bob' }, connect: { user: 'bob' } });
  (await cl.nextAttempt(0)).fail(486, 'Busy Here');
  await until(() => busy.isEnded(), 'ended');
  t.equal(busy.status, 'busy');
  t.equal(busy.sipStatus, 486);
  const ringing = await cl.service.originate({ to: { user: 'bob' }, ringTimeoutMs: 20 });
  const attempt = await cl.nextAttempt(1);
  await until(() => ringing.isEnded(), 'ended');
  t.ok(attempt.canceled);
  t.equal(ringing.status, 'no-answer');
});

t.test('API call refused by an overloaded media server rejects with the overload error', async (t) => {
  const cl = callLayer();
  cl.media.overloadedFor = 3;
  await t.rejects(cl.service.originate({ to: { user: 'bob' } }), { name: 'MediaOverloadError', retryAfter: 3 });
  t.equal(cl.registry.size, 0);
});

t.test('a monitor leg leaving does not end the call', async (t) => {
  const cl = callLayer();
  const call = await cl.service.originate({ to: { user: 'bob' } });
  const first = (await cl.nextAttempt(0)).answer();
  await until(() => call.status === 'in-progress', 'answered');
  const monitor = cl.service.dialer.dial(call, { user: 'bob' }, { role: 'monitor', ringTimeoutMs: 1000 });
  const removed: string[] = [];
  call.on('leg-removed', (l) => removed.push(l.role));
  const dialog = (await cl.nextAttempt(1)).answer();
  const outcome = await monitor.outcome;
  t.ok(outcome.answered);
  dialog.remoteBye();
  t.same(removed, ['monitor']);
  t.equal(call.status, 'in-progress', 'still up');
  first.remoteBye();
  await until(() => call.isEnded(), 'ended');
  t.equal(call.status, 'completed');
});
