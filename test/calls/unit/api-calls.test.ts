/**
 * The calls API's phone bridge over the call layer's fakes and a real SQLite store: the agent
 * line's INVITE leaves before the call's row is written (the insert is not part of the post-dial
 * delay), whatever the call does before the row exists is written behind it, and a row that
 * cannot be written ends the call.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Store, type NewCall } from '../../../src/store/index.js';
import { CallRecords } from '../../../src/calls/call-records.js';
import { ApiCalls, CallRequestError } from '../../../src/calls/api-calls.js';
import type { BrowserBridges } from '../../../src/calls/browser-bridge.js';
import { callLayer } from './harness.js';
import { until } from './fakes.js';

const logger = pino({ level: 'silent' });
const CALLER_ID = '+14155550100';
const AGENT_LINE = '+33700000001';
const RECIPIENT = '+33612345678';

async function rig(t: Test) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-api-calls-'));
  const store = await Store.open({ dataDir });
  t.teardown(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const project = await store.projects.create('acme');
  await store.numbers.assign(project.id, CALLER_ID);
  const cl = callLayer();
  const records = new CallRecords({ store, registry: cl.registry, logger });
  t.teardown(() => records.close());
  const api = new ApiCalls({
    store,
    calls: cl.service,
    records,
    browser: {} as BrowserBridges,
    trunk: 'carrier',
    ringTimeoutMs: 10_000,
    blockedPrefixes: [],
    logger,
  });
  /** What happened, in order: `invite` when an INVITE was placed, `insert` when a call row was written. */
  const order: string[] = [];
  cl.sip.on('dialed', () => order.push('invite'));
  const insert = store.calls.insert.bind(store.calls);
  let beforeInsert: (() => Promise<void>) | undefined;
  store.calls.insert = async (c: NewCall) => {
    await beforeInsert?.();
    order.push('insert');
    return insert(c);
  };
  const initiate = () => api.initiate(project.id, { callType: 'bridge', recipient: RECIPIENT, inboundPhoneNumber: AGENT_LINE });
  return {
    store,
    project,
    cl,
    records,
    api,
    order,
    initiate,
    setBeforeInsert: (f: () => Promise<void>) => {
      beforeInsert = f;
    },
  };
}

t.test('the agent line is dialed before the row is written; the id answered is stored and hangs the call up', async (t) => {
  const { store, cl, records, api, order, initiate } = await rig(t);
  const r = await initiate();
  t.same(order, ['invite', 'insert'], 'the INVITE first, then the row');
  t.same(cl.sip.attempts[0]!.target, { trunk: 'carrier', number: AGENT_LINE });
  const stored = await store.calls.get(r.record.id);
  t.equal(stored?.telephonyRef, r.telephonyRef, 'the answered phone_call_id is the stored row');
  t.equal(stored?.to, RECIPIENT);
  t.equal(records.liveCall(r.record.id), cl.calls[0], 'the live call is found by its id at once');
  cl.sip.attempts[0]!.ring();
  const after = await api.hangup(r.record);
  t.ok(cl.sip.attempts[0]!.canceled, 'the ringing agent line was cancelled');
  t.equal(after.status, 'canceled');
  t.same(
    (await store.calls.events(r.record.id)).map((e) => e.status),
    ['queued', 'ringing', 'canceled'],
  );
});

t.test('a call that ends before its row is written still gets the row and its outcome', async (t) => {
  const { store, cl, records, initiate, setBeforeInsert } = await rig(t);
  cl.sip.on('dialed', (a) => a.fail(486, 'Busy Here'));
  // The agent line answers busy while the row is still being written.
  setBeforeInsert(() => until(() => cl.calls[0]?.isEnded() === true, 'the call ended'));
  const r = await initiate();
  await records.flushed();
  const stored = await store.calls.get(r.record.id);
  t.equal(stored?.status, 'busy');
  t.equal(stored?.sipStatus, 486);
  t.equal(
    (await store.calls.page(stored!.projectId)).calls.length,
    1,
    'one row for the call (the record writer inserted none of its own)',
  );
});

t.test('a row that cannot be written ends the call and fails the request', async (t) => {
  const { store, project, cl, initiate, setBeforeInsert } = await rig(t);
  setBeforeInsert(async () => {
    throw new Error('disk full');
  });
  await t.rejects(initiate(), new CallRequestError(503, 'the call could not be recorded; retry later', 1));
  t.ok(cl.sip.attempts[0]!.canceled, 'the INVITE already sent is cancelled');
  await until(() => cl.calls[0]?.isEnded() === true, 'the call ended');
  t.equal(cl.calls[0]!.status, 'failed');
  t.equal((await store.calls.page(project.id)).calls.length, 0, 'no row');
});
