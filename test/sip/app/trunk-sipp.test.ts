import t from 'tap';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { freePort, startSipp } from '../../helpers/sipp.js';
import { startStack } from './harness.js';
import type { TrunkConfig } from '../../../config/schema.js';

const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/sip/app/scenarios');

function trunk(port: number): TrunkConfig {
  // expires below the schema's minimum on purpose: a 6 s grant makes the refresh happen within the test.
  return {
    name: 'carrier',
    host: '127.0.0.1',
    port,
    transport: 'udp',
    register: true,
    expires: 6,
    inboundAddresses: [],
    username: 'acct',
    password: 'trunk-pw',
    fromDomain: 'carrier.test',
  };
}

t.test('trunk registers against a challenging carrier, refreshes before expiry, un-registers on close', async (t) => {
  const port = await freePort();
  const sipp = await startSipp(t, {
    scenario: join(scenarios, 'uas-register-challenge.xml'),
    localPort: port,
    keys: { grant: '6' },
    timeoutMs: 15000,
  });
  const stack = await startStack(t, { trunks: [trunk(port)] });
  const reg = stack.app.trunks.registration('carrier')!;
  t.ok(reg, 'registration exists');
  const grants: number[] = [];
  const times: number[] = [];
  await new Promise<void>((resolve) =>
    reg.on('registered', ({ expires }) => {
      grants.push(expires);
      times.push(Date.now());
      if (grants.length === 2) resolve();
    }),
  );
  t.same(grants, [6, 6]);
  const gap = times[1]! - times[0]!;
  t.ok(gap >= 800 && gap < 5000, `refresh came before expiry (${gap} ms after the first)`);
  await stack.app.close();
  const r = await sipp.wait();
  t.equal(r.code, 0, r.errors || r.stderr);
});

t.test('trunk retries with exponential backoff while the carrier answers 503, then registers', async (t) => {
  const port = await freePort();
  const sipp = await startSipp(t, {
    scenario: join(scenarios, 'uas-register-down-then-up.xml'),
    localPort: port,
    keys: { grant: '6' },
    timeoutMs: 20000,
  });
  const stack = await startStack(t, { trunks: [trunk(port)], trunkRetry: { baseMs: 150, maxMs: 1200 } });
  const reg = stack.app.trunks.registration('carrier')!;
  const failures: { status: number; retryInMs: number; at: number }[] = [];
  reg.on('failed', ({ status, retryInMs }) => failures.push({ status, retryInMs, at: Date.now() }));
  await new Promise<void>((resolve) => reg.once('registered', () => resolve()));
  t.same(
    failures.map((f) => f.status),
    [503, 503, 503],
  );
  const delays = failures.map((f) => f.retryInMs);
  t.ok(delays[1]! > delays[0]! * 1.5 && delays[2]! > delays[1]! * 1.5, `backoff grows: ${delays.join(', ')}`);
  const gap = failures[2]!.at - failures[1]!.at;
  t.ok(gap >= delays[1]! * 0.9, `the retry waited its backoff (${gap} ms)`);
  t.equal(reg.state, 'registered');
  await new Promise<void>((resolve) => reg.once('registered', () => resolve()));
  await stack.app.close();
  const r = await sipp.wait();
  t.equal(r.code, 0, r.errors || r.stderr);
});

t.test('trunk retries with backoff while the carrier is not running', async (t) => {
  // Nothing listens on the port: each REGISTER fails (503 from the ICMP error, or our own timeout).
  // Recovery once a carrier answers is covered by the 503 test above: the embedded server keeps
  // failing sends to a destination for 30 s after an ICMP error, so a late-starting sipp would
  // only be reached after that.
  const port = await freePort();
  const stack = await startStack(t, {
    trunks: [trunk(port)],
    trunkRetry: { baseMs: 100, maxMs: 800 },
    trunkRequestTimeoutMs: 500,
  });
  const reg = stack.app.trunks.registration('carrier')!;
  const failures: { status: number; retryInMs: number; at: number }[] = [];
  await new Promise<void>((resolve) =>
    reg.on('failed', (f) => {
      failures.push({ ...f, at: Date.now() });
      if (failures.length === 5) resolve();
    }),
  );
  t.equal(reg.state, 'failed');
  t.ok(
    failures.every((f) => f.status === 503 || f.status === 408),
    `failures: ${failures.map((f) => f.status).join(', ')}`,
  );
  const delays = failures.map((f) => f.retryInMs);
  t.ok(delays[1]! > delays[0]! * 1.5 && delays[2]! > delays[1]! * 1.5, `backoff grows: ${delays.join(', ')}`);
  t.ok(delays[4]! <= 800 * 1.1, 'capped');
  for (let i = 1; i < failures.length; i++) {
    t.ok(failures[i]!.at - failures[i - 1]!.at >= delays[i - 1]! * 0.9, `attempt ${i + 1} waited its backoff`);
  }
});
