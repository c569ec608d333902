/**
 * The call-record writer over a real SQLite store, driven by a real `Call` (no SIP, no media): a
 * relay call's record names the caller, the number it forwards to and (through the number) the
 * relay number; a recording announced after `ended` still reaches the record and fires
 * phone_call.completed a second time; one announced before the end rides on the only completed.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Store } from '../../../src/store/index.js';
import { Call } from '../../../src/calls/call.js';
import { CallRegistry } from '../../../src/calls/call-registry.js';
import { CallRecords } from '../../../src/calls/call-records.js';

const logger = pino({ level: 'silent' });
const RELAY = '+14155550123';
const FORWARD_TO = '+33612345678';
const CALLER = '+33783484044';

async function rig(t: Test) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-records-'));
  const store = await Store.open({ dataDir });
  t.teardown(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const project = await store.projects.create('acme');
  const number = await store.numbers.assign(project.id, RELAY, { kind: 'forward', forwardTo: FORWARD_TO });
  const registry = new CallRegistry();
  const records = new CallRecords({ store, registry, logger });
  t.teardown(() => records.close());
  const relayCall = (): Call => {
    const call = new Call({
      direction: 'inbound',
      from: CALLER,
      to: RELAY.slice(1),
      route: 'relay',
      logger,
      number: { e164: RELAY, projectId: project.id, forwardTo: FORWARD_TO },
    });
    registry.add(call);
    return call;
  };
  /** Writes still queued for this writer (none once every call's chain settled). */
  const queued = (): number => (records as unknown as { chains: Map<Call, unknown> }).chains.size;
  return { store, project, number, records, relayCall, queued };
}

t.test('a recording announced after `ended` is stored and fires completed again, with the relay fields', async (t) => {
  const { store, project, number, records, relayCall, queued } = await rig(t);
  const call = relayCall();
  call.markRinging();
  call.markAnswered();
  await call.hangup({ reason: 'caller hung up' });
  await records.flushed(call);
  const path = '/tmp/recordings/relay.wav';
  // The recorder closes the WAV a while after the call ended.
  await new Promise((r) => setTimeout(r, 50));
  call.emit('recording', { path });
  await records.flushed(call);

  const rec = await store.calls.get(call.recordId!);
  t.match(rec, {
    projectId: project.id,
    direction: 'inbound',
    from: CALLER,
    to: FORWARD_TO,
    numberId: number.id,
    status: 'completed',
    recordingPath: path,
    enableRecording: true,
  });
  const events = await store.outbox.events(project.id);
  t.same(
    events.map((e) => e.type),
    ['phone_call.started', 'phone_call.completed', 'phone_call.completed'],
  );
  for (const e of events)
    t.match(e.data, { id: call.recordId, direction: 'inbound', from: CALLER, to: FORWARD_TO, relay_number: RELAY });
  t.equal(events[1]!.data.recording_url, null, 'the first completed has no recording yet');
  t.equal(events[2]!.data.recording_url, `/recordings/${String(call.recordId)}.wav`, 'the second has it');
  t.equal(queued(), 0, 'nothing of the ended call is kept once its writes are done');
});

t.test('a recording final before the status is written rides on the only completed', async (t) => {
  const { store, project, records, relayCall } = await rig(t);
  const call = relayCall();
  call.markAnswered();
  call.emit('recording', { path: '/tmp/recordings/early.wav' });
  await call.hangup({ reason: 'caller hung up' });
  await records.flushed(call);
  const events = await store.outbox.events(project.id);
  t.same(
    events.map((e) => e.type),
    ['phone_call.started', 'phone_call.completed'],
    'completed once',
  );
  t.equal(events[1]!.data.recording_url, `/recordings/${String(call.recordId)}.wav`, 'with its recording');
});

t.test('an agent DID call is no relay even when its number carries a forward_to', async (t) => {
  const { store, project, records } = await rig(t);
  const agent = await store.agents.create({ projectId: project.id, username: 'alice', password: 'alice-pw-1234' });
  const did = await store.numbers.assign(project.id, '+14155550199', { kind: 'agent', agentId: agent.id });
  await store.numbers.setRelay(did.id, { forwardTo: FORWARD_TO, relayEnabled: true });
  const registry = (records as unknown as { opts: { registry: CallRegistry } }).opts.registry;
  const call = new Call({
    direction: 'inbound',
    from: CALLER,
    to: '+14155550199',
    route: 'agent',
    logger,
    number: { e164: did.e164, projectId: project.id },
  });
  registry.add(call);
  call.markAnswered();
  await call.hangup({ reason: 'caller hung up' });
  await records.flushed(call);
  const rec = await store.calls.get(call.recordId!);
  t.match(rec, { to: '+14155550199', numberId: did.id, enableRecording: false });
  const events = await store.outbox.events(project.id);
  t.same(
    events.map((e) => [e.type, e.data.relay_number]),
    [
      ['phone_call.started', null],
      ['phone_call.completed', null],
    ],
  );
});
