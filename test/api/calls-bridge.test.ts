/**
 * The Phonevoice calls API over real HTTP and real SIP: the seed's curl examples (whoami, then a
 * phone bridge) ring a baresip agent first, then a sipp carrier as the recipient through the
 * trunk with the project's number as caller ID; the two are bridged (the agent hears its tone
 * come back through the echoing carrier). Hang-up works while ringing (CANCEL) and answered (BYE),
 * twice; the call record keeps every transition, the SIP outcome and the legs.
 */
import t from 'tap';
import { RECIPIENT, PROJECT_NUMBER, curl, startCallsPlatform, startCarrier, until } from './calls-rig.js';
import { heard, peakHz, registeredPhone, sleep, tempDir, toneSeconds, toneWav } from '../calls/phones.js';

t.setTimeout(90000);

t.test("the seed's curl: whoami, then a phone bridge; both sides connected; hangup answered twice", async (t) => {
  const dir = tempDir(t, 'api-calls-');
  const carrier = await startCarrier(t, dir, 'echo');
  const cp = await startCallsPlatform(t, { carrierPort: carrier.port });
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 880), autoAnswer: true });
  const invites: string[] = [];
  cp.tp.platform.calls.on('added', (c) => invites.push(c.to));

  const whoami = JSON.parse(
    await curl(`curl ${cp.base}/api/whoami \\
-H "Authorization: Bearer ${cp.token}"`),
  ) as Record<string, unknown>;
  t.match(whoami, { status: 'ok', id: cp.projectId }, "whoami with the admin CLI's token");

  // The seed's bridge example with its flags; phone mode: no vendeur_mode, the agent line in inbound_phone_number.
  const out = await curl(`curl -X POST ${cp.base}/api/v1/calls/initiate \\
-H "Authorization: Bearer ${cp.token}" -H "Content-Type: application/json" \\
-d '{ "call_type":"bridge",
"recipient_phone_number":"${RECIPIENT}", "inbound_phone_number":"alice" }' -w '\\n%{http_code}'`);
  const [json, code] = out.trim().split('\n');
  t.equal(code, '201', 'created');
  const created = JSON.parse(json!) as { status: string; phone_call_id: number; telephony_ref: string; cable_token: string };
  t.equal(created.status, 'success');
  t.ok(Number.isInteger(created.phone_call_id), 'an integer phone_call_id');
  t.match(created.telephony_ref, /^CA[0-9a-f]{32}$/, 'telephony_ref is CA + 32 hex');
  t.ok(created.cable_token.length >= 32, 'a cable token');
  const id = created.phone_call_id;
  const stored = await cp.tp.platform.store.calls.get(id);
  t.not(stored?.cableTokenHash, created.cable_token, 'the cable token is stored hashed');

  t.ok(await until(async () => (await cp.api(`/api/v1/calls/${id}`)).body.status === 'in-progress', 15000), 'the agent answered');
  t.ok(
    await until(async () => ((await cp.api(`/api/v1/calls/${id}`)).body.legs as unknown[]).length === 2, 15000),
    'the recipient answered: two legs',
  );
  await sleep(2500);
  const live = await cp.api(`/api/v1/calls/${id}`);
  t.match(live.body, {
    phone_call_id: id,
    status: 'in-progress',
    direction: 'outbound',
    from: PROJECT_NUMBER,
    to: RECIPIENT,
    legs: [{ role: 'caller' }, { role: 'callee' }],
  });

  const closed = alice.waitFor('CALL_CLOSED', 10000);
  const hangup = await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' });
  t.equal(hangup.status, 200);
  t.match(hangup.body, {
    status: 'success',
    phone_call_id: id,
    call_status: 'completed',
    call: { sip_status: 200, status: 'completed' },
  });
  const again = await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' });
  t.same([again.status, again.body.call_status], [200, 'completed'], 'a second hangup answers the final status');
  const r = await carrier.sipp.wait();
  t.equal(r.successful, 1, `the carrier got the INVITE for ${RECIPIENT} and a BYE ${r.errors.slice(0, 300)}`);
  await closed;
  t.pass('the agent got a BYE');

  const h = heard(alice);
  const peak = peakHz(h, 0.5, 2.5);
  t.ok(Math.abs(peak - 880) <= 20, `the agent's 880 Hz went through the carrier and back: they were bridged (peak ${peak} Hz)`);
  t.ok(toneSeconds(h, 880) >= 1.5, `for most of the call (${toneSeconds(h, 880)} s)`);

  const events = await cp.tp.platform.store.calls.events(id);
  t.same(
    events.map((e) => e.status),
    ['queued', 'ringing', 'in-progress', 'completed'],
    'every transition recorded',
  );
  const rec = await cp.api(`/api/v1/calls/${id}`);
  t.match(rec.body, {
    status: 'completed',
    sip_status: 200,
    reason: 'api hangup',
    legs: [
      { role: 'caller', ended: true },
      { role: 'callee', ended: true },
    ],
  });
  t.ok((rec.body.duration as number) >= 2, `duration counted from the answer (${String(rec.body.duration)} s)`);
  t.ok(rec.body.answered_at && rec.body.ended_at, 'answer and end times');
  const list = await cp.api('/api/v1/calls?status=completed');
  t.match(list.body, { has_more: false, calls: [{ phone_call_id: id }] });
});

t.test("hangup while the agent's phone rings: CANCEL, status canceled, twice", async (t) => {
  const dir = tempDir(t, 'api-calls-');
  const carrier = await startCarrier(t, dir, 'echo');
  const cp = await startCallsPlatform(t, { carrierPort: carrier.port });
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 880) });
  const incoming = alice.waitFor('CALL_INCOMING', 10000);
  const created = await cp.api('/api/v1/calls/initiate', {
    body: { call_type: 'bridge', recipient_phone_number: RECIPIENT, inbound_phone_number: 'alice' },
  });
  t.equal(created.status, 201);
  const id = created.body.phone_call_id as number;
  await incoming;
  t.ok(await until(async () => (await cp.api(`/api/v1/calls/${id}`)).body.status === 'ringing'), 'ringing');
  const closed = alice.waitFor('CALL_CLOSED', 10000);
  const hangup = await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' });
  t.match([hangup.status, hangup.body], [200, { call_status: 'canceled', call: { sip_status: 487 } }]);
  await closed;
  t.pass("the agent's phone stopped ringing (CANCEL)");
  const again = await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' });
  t.same([again.status, again.body.call_status], [200, 'canceled']);
  t.same(
    (await cp.tp.platform.store.calls.events(id)).map((e) => e.status),
    ['queued', 'ringing', 'canceled'],
  );
});
