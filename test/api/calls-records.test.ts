/**
 * Call records for calls the API did not place: a phone calling a phone, a carrier calling a
 * registered phone, and another project's agent calling the echo test number. Each gets a record
 * under the right project (the calling or called agent's), with its transitions, SIP outcome and
 * legs, listed by that project's API only.
 */
import t from 'tap';
import { once } from 'node:events';
import { CARRIER, adminToken, startCallsPlatform, startCarrier, until } from './calls-rig.js';
import { Baresip } from '../helpers/baresip.js';
import { freePort, runSipp } from '../helpers/sipp.js';
import { dialAndWait, registeredPhone, sleep, tempDir, toneWav } from '../calls/phones.js';

t.setTimeout(90000);

t.test("phone and trunk calls are recorded under the agent's project", async (t) => {
  const dir = tempDir(t, 'api-records-');
  const carrier = await startCarrier(t, dir, 'echo');
  const cp = await startCallsPlatform(t, { carrierPort: carrier.port, users: ['alice', 'bob'] });
  const store = cp.tp.platform.store;
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 880), autoAnswer: true });
  await registeredPhone(t, cp.tp, 'bob', { codecs: ['PCMU'], wav: toneWav(dir, 600), autoAnswer: true });

  // alice -> bob
  const next = cp.tp.nextCall();
  await dialAndWait(alice, cp.tp, 'bob');
  const call = await next;
  await sleep(1200);
  const ended = once(call, 'ended');
  await alice.hangup();
  await ended;
  await cp.tp.platform.records.flushed(call);
  const id = call.recordId!;
  t.ok(Number.isInteger(id), 'the call got a record id');
  const rec = await cp.api(`/api/v1/calls/${id}`);
  t.match(rec.body, { direction: 'inbound', from: 'alice', to: 'bob', status: 'completed', sip_status: 200 });
  const legs = rec.body.legs as { role: string; ended: boolean; sipCallId: string }[];
  t.same(legs.map((l) => l.role).sort(), ['callee', 'caller'], 'both legs, in the order they were answered');
  t.ok(
    legs.every((l) => l.ended && l.sipCallId),
    'each with its SIP Call-ID, ended',
  );
  t.ok((rec.body.duration as number) >= 1, `duration ${String(rec.body.duration)} s`);
  t.same(
    (await store.calls.events(id)).map((e) => e.status),
    ['queued', 'ringing', 'in-progress', 'completed'],
  );

  // The carrier calls alice through the trunk: 2 s of talk, then its BYE.
  const nextTrunk = cp.tp.nextCall();
  const r = await runSipp(t, {
    scenario: 'uac',
    localHost: CARRIER,
    remote: `${cp.tp.sip.host}:${cp.tp.sip.port}`,
    service: 'alice',
    timeoutMs: 20000,
    extraArgs: ['-d', '2000', '-rtp_echo', '-mp', String(await freePort(CARRIER)), '-mi', CARRIER],
  });
  t.equal(r.code, 0, "the carrier's call was answered and hung up");
  const trunkCall = await nextTrunk;
  if (!trunkCall.isEnded()) await once(trunkCall, 'ended');
  await cp.tp.platform.records.flushed(trunkCall);
  t.match((await cp.api(`/api/v1/calls/${trunkCall.recordId!}`)).body, {
    direction: 'inbound',
    to: 'alice',
    status: 'completed',
    sip_status: 200,
    reason: 'caller hung up',
  });

  // Another project's agent calls the echo test number: the record is that project's.
  const other = await store.projects.create('other');
  const otherToken = await adminToken(cp.tp.dataDir, other.id);
  await store.agents.create({ projectId: other.id, username: 'carol', password: 'carol-pw-1234' });
  const carol = await Baresip.start({
    user: 'carol',
    password: 'carol-pw-1234',
    registrar: cp.tp.sip,
    codecs: ['PCMU'],
    playWav: toneWav(dir, 700),
  });
  t.teardown(() => carol.stop());
  t.ok(await until(() => cp.tp.platform.sip.registrar.lookup('carol').length > 0), 'carol registered');
  const nextEcho = cp.tp.nextCall();
  await dialAndWait(carol, cp.tp, '*43');
  const echo = await nextEcho;
  await sleep(800);
  const echoEnded = once(echo, 'ended');
  await carol.hangup();
  await echoEnded;
  await cp.tp.platform.records.flushed(echo);
  const echoId = echo.recordId!;
  t.match(
    (await cp.api(`/api/v1/calls/${echoId}`, { token: otherToken })).body,
    { from: 'carol', to: '*43', status: 'completed' },
    "carol's project sees her call",
  );
  t.equal((await cp.api(`/api/v1/calls/${echoId}`)).status, 403, 'the default project does not');
  const mine = (await cp.api('/api/v1/calls?direction=inbound')).body.calls as { phone_call_id: number }[];
  t.same(
    mine.map((c) => c.phone_call_id),
    [trunkCall.recordId, id],
    'the default project lists its two inbound calls, newest first',
  );
});
