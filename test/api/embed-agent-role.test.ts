/**
 * `embed_session {role: "agent"}` on calls that have no agent side for a browser to take: a phone
 * bridge (the seed's "Bridge téléphone ... sans navigateur": the agent is on the phone line that
 * rang, before and after answering) answers 409 with why, and names the roles that fit; those
 * (talk, listen) are issued on the same call. A browser-mode bridge still waiting for its agent
 * gets its agent embed. Real HTTP, a baresip agent phone and a sipp carrier.
 */
import t from 'tap';
import { RECIPIENT, startCallsPlatform, startCarrier, until } from './calls-rig.js';
import { registeredPhone, tempDir, toneWav } from '../calls/phones.js';
import { whyNoAgentSide } from '../../src/calls/embed-sessions.js';
import type { CallRecord } from '../../src/store/index.js';

t.setTimeout(90000);

t.test('a phone bridge has no agent side for a browser: 409 with the reason, talk and listen issued', async (t) => {
  const dir = tempDir(t, 'api-embed-agent-');
  const carrier = await startCarrier(t, dir, 'echo');
  const cp = await startCallsPlatform(t, { carrierPort: carrier.port });
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 880) });
  const incoming = alice.waitFor('CALL_INCOMING', 10000);
  const created = await cp.api('/api/v1/calls/initiate', {
    body: { call_type: 'bridge', recipient_phone_number: RECIPIENT, inbound_phone_number: 'alice' },
  });
  t.equal(created.status, 201);
  const id = created.body.phone_call_id as number;
  const embed = (role: string) => cp.api(`/api/v1/calls/${id}/embed_session`, { body: { role } });

  await incoming;
  const ringing = await embed('agent');
  t.equal(ringing.status, 409, "while the agent's phone rings");
  t.match(ringing.body.error, /phone bridge.*inbound_phone_number.*vendeur_mode "browser".*"talk".*"listen"/);
  t.same(Object.keys(ringing.body), ['error']);

  await alice.answer();
  t.ok(await until(async () => ((await cp.api(`/api/v1/calls/${id}`)).body.legs as unknown[]).length === 2, 15000), 'bridged');
  const answered = await embed('agent');
  t.equal(answered.status, 409, 'once the agent talks on the phone');
  t.match(answered.body.error, /phone bridge, its agent is on the phone line/);
  t.equal((await cp.api(`/api/v1/calls/${id}`)).body.status, 'in-progress', 'the call goes on untouched');

  for (const role of ['talk', 'listen']) {
    const r = await embed(role);
    t.equal(r.status, 200, `role ${role} is issued on the same call`);
    t.match(r.body, { role, expires_in: 300, embed_url: /\/embed\?t=/ });
  }
  await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' });
  await carrier.sipp.wait();
});

t.test('a browser-mode bridge waiting for its agent gets its agent embed', async (t) => {
  const dir = tempDir(t, 'api-embed-agent-');
  // nobody joins as the agent, so the carrier is never dialled
  const carrier = await startCarrier(t, dir, 'echo');
  const cp = await startCallsPlatform(t, { carrierPort: carrier.port });
  const created = await cp.api('/api/v1/calls/initiate', {
    body: { call_type: 'bridge', vendeur_mode: 'browser', recipient_phone_number: RECIPIENT },
  });
  t.equal(created.status, 201);
  const id = created.body.phone_call_id as number;
  const r = await cp.api(`/api/v1/calls/${id}/embed_session`, { body: { role: 'agent' } });
  t.equal(r.status, 200);
  t.match(r.body, { role: 'agent', expires_in: 300 });
  await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' });
});

t.test('the 409 says why for each kind of call', async (t) => {
  const record = (over: Partial<CallRecord>) => ({ telephonyRef: 'CA00', applicationId: null, ...over }) as CallRecord;
  t.match(whyNoAgentSide(record({}), { route: 'api-browser' }), /already joined/);
  t.match(whyNoAgentSide(record({ applicationId: 3 }), { route: 'api' }), /answered by an application/);
  t.match(whyNoAgentSide(record({}), { route: 'api' }), /phone bridge/);
  t.match(whyNoAgentSide(record({ telephonyRef: null }), { route: 'did' }), /only a bridge started with vendeur_mode "browser"/);
});
