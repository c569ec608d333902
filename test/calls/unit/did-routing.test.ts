/** Inbound calls routed by the dialed DID (Request-URI, else To), on fakes: agents, relays, refusals. */
import t from 'tap';
import { toE164 } from '../../../src/calls/e164.js';
import { FakeInvite, OFFER, until } from './fakes.js';
import { callLayer } from './harness.js';

const CARRIER = { kind: 'trunk' as const, trunk: 'carrier' };

t.test('E.164 normalisation: what is accepted and what is not', async (t) => {
  t.equal(toE164('+14155550123'), '+14155550123');
  t.equal(toE164('tel:+1-415-555-0123'), '+14155550123', 'tel: and separators');
  t.equal(toE164('+1 (415) 555.0123'), '+14155550123');
  t.equal(toE164('0014155550123'), '+14155550123', 'a leading 00 is the international prefix');
  t.equal(toE164('14155550123'), '+14155550123', 'bare digits read as E.164 without the plus');
  t.equal(toE164('+14155550123;phone-context=example.com'), '+14155550123', 'parameters dropped');
  t.equal(toE164('04155550123'), undefined, 'a national trunk prefix is ambiguous: refused');
  t.equal(toE164('alice'), undefined);
  t.equal(toE164('+123'), undefined, 'too short');
  t.equal(toE164('+1234567890123456'), undefined, 'too long');
});

t.test('a carrier call to a DID pointed at an agent rings that agent and bridges', async (t) => {
  const cl = callLayer();
  cl.directory.addNumber('+15550100', 1, { kind: 'agent', agentId: cl.directory.agentId('bob') });
  const inv = cl.invite('0015550100', undefined, CARRIER);
  const attempt = await cl.nextAttempt();
  t.same(attempt.target, { user: 'bob' }, "the agent's registrations are rung");
  attempt.answer();
  await until(() => inv.finals.length > 0, 'the caller answered');
  t.same(
    inv.finals.map((f) => f.status),
    [200],
  );
  t.equal(cl.calls[0]?.route, 'agent');
});

t.test('the DID in To is used when the Request-URI carries our registered contact user', async (t) => {
  const cl = callLayer();
  cl.directory.addNumber('+15550100', 1, { kind: 'agent', agentId: cl.directory.agentId('bob') });
  const inv = new FakeInvite('switchboard-line', OFFER, CARRIER);
  inv.toHeader = { user: '+1-555-0100', uri: 'sip:+1-555-0100@carrier.test' };
  cl.sip.emit('call', inv);
  const attempt = await cl.nextAttempt();
  t.same(attempt.target, { user: 'bob' });
  attempt.fail(486, 'Busy Here');
  await until(() => inv.finals.length > 0, 'a final response');
});

t.test('a DID nobody owns gets 404, even from a registered phone and even though it looks like a trunk number', async (t) => {
  const cl = callLayer();
  cl.directory.addNumber('+15550199', null, null);
  const fromCarrier = cl.invite('+15550199', undefined, CARRIER);
  const fromPhone = cl.invite('+15550199');
  await until(() => fromCarrier.finals.length > 0 && fromPhone.finals.length > 0, 'final responses');
  t.same(
    fromCarrier.finals.map((f) => f.status),
    [404],
  );
  t.same(
    fromPhone.finals.map((f) => f.status),
    [404],
    'not sent out through the trunk either',
  );
  t.equal(cl.sip.attempts.length, 0);
  t.equal(cl.media.sessions.length, 0, 'no media reserved');
});

t.test('a relay DID dials forward_to through the trunk with the DID as caller ID, recorded', async (t) => {
  const cl = callLayer();
  cl.directory.addNumber('+15550200', 1, { kind: 'forward', forwardTo: '+1 555 0300' });
  const inv = cl.invite('+15550200', undefined, CARRIER);
  const attempt = await cl.nextAttempt();
  t.same(attempt.target, { trunk: 'carrier', number: '+15550300' }, "forward_to, normalised, through the number's trunk");
  t.equal(attempt.request.callerId, '+15550200', 'the relay number is the caller ID');
  t.equal(attempt.request.from, undefined, 'the original caller is not presented');
  attempt.answer();
  await until(() => inv.finals.length > 0, 'answered');
  const call = cl.calls[0]!;
  const recorded = new Promise<{ path: string }>((resolve) => call.once('recording', resolve));
  await until(() => cl.media.sessions[0]!.bridges.length > 0, 'bridged');
  // Recording is off globally in this harness: the relay route decided it for this call.
  await until(() => cl.lines.some((l) => l.msg === 'recording'), 'recording started');
  await call.hangup();
  const { path } = await recorded;
  t.equal(path, `/nonexistent/${call.id}.wav`, '`recording` carries the final path');
});

t.test('a paused relay answers 480 without dialing', async (t) => {
  const cl = callLayer();
  cl.directory.addNumber('+15550200', 1, { kind: 'forward', forwardTo: '+15550300' }, { relayEnabled: false });
  const inv = cl.invite('+15550200', undefined, CARRIER);
  await until(() => inv.finals.length > 0, 'a final response');
  t.same(
    inv.finals.map((f) => [f.status, f.reason]),
    [[480, 'Relay Paused']],
  );
  t.equal(cl.sip.attempts.length, 0);
});

t.test('a relay to one of our own DIDs is refused (loop)', async (t) => {
  const cl = callLayer();
  cl.directory.addNumber('+15550200', 1, { kind: 'forward', forwardTo: '+15550201' });
  cl.directory.addNumber('+15550201', 2, { kind: 'forward', forwardTo: '+15550200' });
  const inv = cl.invite('+15550200', undefined, CARRIER);
  await until(() => inv.finals.length > 0, 'a final response');
  t.same(
    inv.finals.map((f) => f.status),
    [482],
  );
  t.equal(cl.sip.attempts.length, 0);
});

t.test('an application DID without a call-flow engine or callback URL is refused plainly', async (t) => {
  const cl = callLayer();
  cl.directory.addNumber('+15550400', 1, { kind: 'application', applicationId: 9 });
  const inv = cl.invite('+15550400', undefined, CARRIER);
  await until(() => cl.lines.some((l) => l.msg === 'call ended'), 'the outcome');
  t.same(
    inv.finals.map((f) => [f.status, f.reason]),
    [[480, 'Application Not Available']],
  );
  t.ok(
    cl.lines.some((l) => l.msg === 'call refused by its route' && /application 9/.test(String(l.reason))),
    'logged why',
  );
  t.equal(cl.media.sessions.length, 0);
});

t.test('a DID pointed at an agent of another project is not rung', async (t) => {
  const cl = callLayer();
  cl.directory.addNumber('+15550500', 2, { kind: 'agent', agentId: cl.directory.agentId('bob') });
  const inv = cl.invite('+15550500', undefined, CARRIER);
  await until(() => inv.finals.length > 0, 'a final response');
  t.same(
    inv.finals.map((f) => f.status),
    [404],
  );
  t.equal(cl.sip.attempts.length, 0);
});

t.test('agents added at run time are routable at once', async (t) => {
  const cl = callLayer();
  const first = cl.invite('dave');
  await until(() => first.finals.length > 0, 'a final response');
  t.same(
    first.finals.map((f) => f.status),
    [404],
    'unknown before',
  );
  cl.directory.agents.set(99, { username: 'dave', projectId: 1 });
  cl.invite('dave');
  const attempt = await cl.nextAttempt();
  t.same(attempt.target, { user: 'dave' }, 'rung after being added');
});

t.test('a CANCEL during a slow routing lookup ends the call canceled; nobody is rung', async (t) => {
  const cl = callLayer();
  let open!: () => void;
  cl.directory.gate = new Promise((r) => {
    open = r;
  });
  const inv = cl.invite('bob');
  await until(() => cl.directory.lookups > 0, 'routing started');
  inv.cancelByCaller();
  open();
  await until(() => cl.outcomeLines('bob').length > 0, 'the outcome');
  t.same(
    inv.finals.map((f) => [f.status, f.byStack]),
    [[487, true]],
    "only the stack's 487",
  );
  t.match(cl.outcomeLines('bob')[0], { status: 'canceled', sipStatus: 487 });
  t.equal(cl.sip.attempts.length, 0, 'the callee was never rung');
  t.equal(cl.media.sessions.length, 0, 'no media reserved');
});
