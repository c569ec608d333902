import t from 'tap';
import { until } from './fakes.js';
import { callLayer } from './harness.js';

t.test('*43 answers once and echoes the caller', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('*43');
  await until(() => cl.media.sessions[0]?.echoes.length === 1, 'the echo');
  t.same(
    inv.finals.map((f) => f.status),
    [200],
  );
  t.equal(cl.calls[0]?.status, 'in-progress');
  inv.dialog!.remoteBye();
  await until(() => cl.registry.size === 0, 'ended');
  t.match(cl.outcomeLines('*43')[0], { route: 'echo', status: 'completed', sipStatus: 200, reason: 'caller hung up' });
});

t.test('*44 stops its prompt when the caller hangs up during the beep', async (t) => {
  const cl = callLayer();
  const inv = cl.invite('*44');
  await until(() => inv.dialog !== undefined, 'answered');
  inv.dialog!.remoteBye();
  await cl.service.drain(1000);
  t.equal(cl.registry.size, 0);
  t.ok(cl.media.sessions[0]!.closed);
  t.equal(cl.outcomeLines('*44').length, 1);
});

t.test('the caller cancelling before *43 answers: 487 only', async (t) => {
  const cl = callLayer();
  cl.media.createSession = ((orig) => async () => {
    // The CANCEL arrives while the media session is being set up.
    await new Promise((r) => setImmediate(r));
    inv.cancelByCaller();
    return orig();
  })(cl.media.createSession.bind(cl.media));
  const inv = cl.invite('*43');
  await until(() => cl.outcomeLines('*43').length === 1, 'the outcome');
  t.same(
    inv.finals.map((f) => f.status),
    [487],
  );
  await until(() => cl.media.sessions[0]?.closed === true, 'the late session released');
  t.equal(cl.registry.size, 0);
});
