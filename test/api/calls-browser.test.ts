/**
 * Browser-mode bridges (`vendeur_mode: "browser"`), with the seed's curl verbatim: the call waits,
 * `queued`, until an agent of the project dials `join-<telephony_ref>` (here a registered baresip
 * standing in for the browser softphone); then the recipient is called through the trunk and the
 * two are bridged. Another project's agent is refused 403 and the call keeps waiting; nobody
 * joining within `calls.agentJoinTimeoutSeconds` ends the call `canceled`.
 */
import t from 'tap';
import { RECIPIENT, PROJECT_NUMBER, curl, startCallsPlatform, startCarrier, until } from './calls-rig.js';
import { Baresip } from '../helpers/baresip.js';
import { dialAndWait, heard, peakHz, registeredPhone, sleep, tempDir, toneSeconds, toneWav } from '../calls/phones.js';

t.setTimeout(90000);

t.test("the seed's browser-mode curl: the call waits for its agent, who joins and is bridged to the recipient", async (t) => {
  const dir = tempDir(t, 'api-browser-');
  const carrier = await startCarrier(t, dir, 'echo');
  const cp = await startCallsPlatform(t, { carrierPort: carrier.port });
  const store = cp.tp.platform.store;
  const other = await store.projects.create('other');
  await store.agents.create({ projectId: other.id, username: 'mallory', password: 'mallory-pw-123' });
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['opus'], wav: toneWav(dir, 880) });

  const out = await curl(`curl -X POST ${cp.base}/api/v1/calls/initiate \\
-H "Authorization: Bearer ${cp.token}" -H "Content-Type: application/json" \\
-d '{ "call_type":"bridge", "vendeur_mode":"browser",
"recipient_phone_number":"+33612345678" }'`);
  const created = JSON.parse(out) as { phone_call_id: number; cable_token: string; telephony_ref: string };
  t.ok(created.phone_call_id && created.cable_token, 'phone_call_id and cable_token, as the seed shows');
  const id = created.phone_call_id;
  await sleep(500);
  t.match(
    (await cp.api(`/api/v1/calls/${id}`)).body,
    { status: 'queued', from: PROJECT_NUMBER, to: RECIPIENT, legs: [] },
    'waiting for the agent; nobody dialed yet',
  );

  // Another project's agent cannot take the call.
  const mallory = await Baresip.start({
    user: 'mallory',
    password: 'mallory-pw-123',
    registrar: cp.tp.sip,
    codecs: ['PCMU'],
    playWav: toneWav(dir, 1300),
  });
  t.teardown(() => mallory.stop());
  t.ok(await until(() => cp.tp.platform.sip.registrar.lookup('mallory').length > 0), 'mallory registered');
  const refused = mallory.waitFor('CALL_CLOSED', 10000);
  await mallory.dial(`sip:join-${created.telephony_ref}@${cp.tp.sip.host}:${cp.tp.sip.port}`);
  const closed = await refused;
  t.match(String(closed.param), /403/, `another project's agent is refused (${String(closed.param)})`);
  t.equal((await cp.api(`/api/v1/calls/${id}`)).body.status, 'queued', 'the call still waits');

  await dialAndWait(alice, cp.tp, `join-${created.telephony_ref}`, 15000);
  t.ok(
    await until(async () => ((await cp.api(`/api/v1/calls/${id}`)).body.legs as unknown[]).length === 2, 15000),
    'the recipient was dialed and answered',
  );
  await sleep(2500);
  const hangup = await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' });
  t.match(hangup.body, { call_status: 'completed', call: { sip_status: 200, legs: [{ role: 'caller' }, { role: 'callee' }] } });
  t.equal((await carrier.sipp.wait()).successful, 1, "the carrier's call completed with BYE");
  const h = heard(alice);
  const peak = peakHz(h, 0.5, 2.5);
  t.ok(Math.abs(peak - 880) <= 20, `the agent's 880 Hz went through the carrier and back (peak ${peak} Hz)`);
  t.ok(toneSeconds(h, 880) >= 1.5, `for most of the call (${toneSeconds(h, 880)} s)`);
  t.same(
    (await store.calls.events(id)).map((e) => e.status),
    ['queued', 'in-progress', 'completed'],
  );

  // A join address is good once: dialing it again finds nothing.
  const again = alice.waitFor('CALL_CLOSED', 10000);
  await alice.dial(`sip:join-${created.telephony_ref}@${cp.tp.sip.host}:${cp.tp.sip.port}`);
  t.match(String((await again).param), /404/, 'a used join address answers 404');
});

t.test('nobody joins: the call ends canceled after calls.agentJoinTimeoutSeconds', async (t) => {
  const dir = tempDir(t, 'api-browser-');
  const carrier = await startCarrier(t, dir, 'echo');
  const cp = await startCallsPlatform(t, { carrierPort: carrier.port, config: { calls: { agentJoinTimeoutSeconds: 1 } } });
  const r = await cp.api('/api/v1/calls/initiate', {
    body: { call_type: 'bridge', vendeur_mode: 'browser', recipient_phone_number: RECIPIENT },
  });
  t.equal(r.status, 201);
  const id = r.body.phone_call_id as number;
  t.ok(await until(async () => (await cp.api(`/api/v1/calls/${id}`)).body.status === 'canceled', 10000), 'canceled');
  t.match((await cp.api(`/api/v1/calls/${id}`)).body, { status: 'canceled', reason: 'no agent joined within 1 s' });
  t.equal(cp.tp.platform.calls.size, 0, 'nothing left waiting');

  // Hung up while queued (waiting for its agent): canceled at once, and its join address is dead.
  const q = await cp.api('/api/v1/calls/initiate', {
    body: { call_type: 'bridge', vendeur_mode: 'browser', recipient_phone_number: RECIPIENT },
  });
  const qid = q.body.phone_call_id as number;
  t.equal((await cp.api(`/api/v1/calls/${qid}`)).body.status, 'queued');
  const h = await cp.api(`/api/v1/calls/${qid}/hangup`, { method: 'POST' });
  t.match([h.status, h.body], [200, { call_status: 'canceled', call: { reason: 'api hangup' } }], 'hangup while queued');
  t.same([(await cp.api(`/api/v1/calls/${qid}/hangup`, { method: 'POST' })).body.call_status], ['canceled'], 'and again');
  t.equal(cp.tp.platform.calls.size, 0, 'nothing left');
});
