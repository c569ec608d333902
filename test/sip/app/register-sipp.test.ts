import t from 'tap';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { runSipp } from '../../helpers/sipp.js';
import { startStack } from './harness.js';

// Scenarios live beside the sources (test/sip/app/scenarios), not in dist.
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/sip/app/scenarios');

t.test('sipp REGISTER: 401 challenge then 200 with the contact and its expiry (MD5)', async (t) => {
  const stack = await startStack(t);
  const r = await runSipp(t, {
    scenario: join(scenarios, 'register-auth.xml'),
    remote: `127.0.0.1:${stack.udpPort}`,
    keys: { user: 'alice' },
    extraArgs: ['-au', 'alice', '-ap', 'alice-pw'],
    timeoutMs: 10000,
  });
  t.equal(r.code, 0, r.errors || r.stderr);
  const b = stack.app.registrar.lookup('alice');
  t.equal(b.length, 1);
  t.equal(b[0]!.contact, `sip:alice@127.0.0.1:${r.localPort}`);
  t.same(b[0]!.source, { transport: 'udp', host: '127.0.0.1', port: r.localPort });
  t.equal(b[0]!.userAgent, 'sipp-phone');
  t.ok(b[0]!.expires <= 300 && b[0]!.expires > 295);
});

t.test('sipp REGISTER with a wrong password gets no binding', async (t) => {
  const stack = await startStack(t);
  const r = await runSipp(t, {
    scenario: join(scenarios, 'register-auth.xml'),
    remote: `127.0.0.1:${stack.udpPort}`,
    keys: { user: 'alice' },
    extraArgs: ['-au', 'alice', '-ap', 'wrong'],
    timeoutMs: 5000,
  });
  t.not(r.code, 0, 'scenario fails: 403 instead of 200');
  t.match(r.errors + r.stdout, /403/);
  t.same(stack.app.registrar.lookup('alice'), []);
});

t.test('sipp OPTIONS gets 200 with Allow and Accept', async (t) => {
  const stack = await startStack(t);
  const r = await runSipp(t, { scenario: join(scenarios, 'options.xml'), remote: `127.0.0.1:${stack.udpPort}`, timeoutMs: 5000 });
  t.equal(r.code, 0, r.errors || r.stderr);
});

t.test('sipp REGISTER over TCP: binding remembers the TCP flow', async (t) => {
  const stack = await startStack(t, { tcp: true });
  const r = await runSipp(t, {
    scenario: join(scenarios, 'register-auth.xml'),
    remote: `127.0.0.1:${stack.tcpPort}`,
    transport: 't1',
    keys: { user: 'bob' },
    extraArgs: ['-au', 'bob', '-ap', 'bob-pw'],
    timeoutMs: 10000,
  });
  t.equal(r.code, 0, r.errors || r.stderr);
  const b = stack.app.registrar.lookup('bob');
  t.equal(b.length, 1);
  t.equal(b[0]!.source.transport, 'tcp');
  t.equal(b[0]!.source.host, '127.0.0.1');
});
