/**
 * An agent line given as a number goes out through the trunk, presenting the project's number as
 * caller ID (`inbound_phone_number` when it is one of the project's numbers, else its first one).
 * The carrier (a UDP peer on 127.0.0.2) answers 486: the call ends busy, recorded with its SIP 486.
 */
import t from 'tap';
import { UdpUa, buildResponse, requestHeaders } from '../sip/app/udp-ua.js';
import { CARRIER, PROJECT_NUMBER, RECIPIENT, startCallsPlatform, until } from './calls-rig.js';

t.setTimeout(60000);

t.test(
  "a number as the agent line: dialed through the trunk with the project's number as caller ID; busy is recorded",
  async (t) => {
    const carrier = new UdpUa();
    await carrier.open(CARRIER);
    t.teardown(() => carrier.close());
    const invites: { uri: string; from: string }[] = [];
    carrier.onRequest = (raw, reply) => {
      if (!raw.startsWith('INVITE ')) return;
      const from = requestHeaders(raw).get('from')?.[0] ?? '';
      const uri = raw.split(' ')[1] ?? '';
      if (!invites.some((i) => i.uri === uri)) invites.push({ uri, from });
      reply(buildResponse(raw, 486, 'Busy Here', { toTag: 'busy' }));
    };
    const cp = await startCallsPlatform(t, { carrierPort: carrier.port });
    const second = '+14155550111';
    await cp.tp.platform.store.numbers.assign(cp.projectId, second);

    for (const [inbound, callerId] of [['+33700000001', PROJECT_NUMBER]] as const) {
      const r = await cp.api('/api/v1/calls/initiate', {
        body: { call_type: 'bridge', recipient_phone_number: RECIPIENT, inbound_phone_number: inbound },
      });
      t.equal(r.status, 201);
      const id = r.body.phone_call_id as number;
      t.ok(await until(async () => (await cp.api(`/api/v1/calls/${id}`)).body.status === 'busy'), 'the call ended busy');
      t.match((await cp.api(`/api/v1/calls/${id}`)).body, { status: 'busy', sip_status: 486, from: callerId, to: RECIPIENT });
      const invite = invites.find((i) => i.uri.includes(inbound));
      t.ok(invite, `the carrier got the INVITE for the agent line ${inbound}`);
      t.match(invite?.from ?? '', new RegExp(`<sip:\\${callerId}@`), `presenting ${callerId} (${invite?.from})`);
    }
    t.notOk(
      invites.some((i) => i.uri.includes(RECIPIENT)),
      'the recipient is never dialed when the agent line is busy',
    );
    // inbound_phone_number naming one of the project's numbers picks that number as caller ID; the
    // agent line must then still be dialable, so it is the number itself (a hairpin the carrier sees).
    const r = await cp.api('/api/v1/calls/initiate', {
      body: { call_type: 'bridge', recipient_phone_number: RECIPIENT, inbound_phone_number: second },
    });
    t.equal(r.status, 201);
    t.ok(await until(() => invites.some((i) => i.uri.includes(second))));
    t.match(
      invites.find((i) => i.uri.includes(second))?.from ?? '',
      new RegExp(`<sip:\\${second}@`),
      'the named project number is the caller ID',
    );
  },
);
