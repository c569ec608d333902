/**
 * A CANCEL that arrives while an authenticated INVITE waits for its credential lookup (a database
 * query in production, made slow here) is not missed: the INVITE is answered 487, the CANCEL 200,
 * and no call is handed to the call layer.
 */
import t from 'tap';
import { DigestClient, pickChallenge } from '../../../sip/digest.js';
import { staticCredentials } from '../../../sip/sip-app.js';
import { startStack, USERS } from './harness.js';
import { UdpUa, buildRequest, header, type WireResponse } from './udp-ua.js';
import { until } from '../../helpers/wait.js';

t.test('CANCEL during the credential lookup: 487, and no call', async (t) => {
  const lookup = staticCredentials(USERS);
  let release: (() => void) | undefined;
  let lookups = 0;
  const stack = await startStack(t, {
    credentials: async (username) => {
      lookups++;
      // Only the answered INVITE's lookup is held (the first, unauthenticated one needs none).
      if (release === undefined)
        await new Promise<void>((r) => {
          release = r;
        });
      return lookup(username);
    },
  });
  // The stack answers the CANCEL itself and tells the app over the drachtio link a moment later, so
  // a lookup ending in between may still hand over the INVITE; that call must then see the CANCEL.
  const handed: { canceled: boolean }[] = [];
  stack.app.on('call', (c) => {
    const h = { canceled: false };
    handed.push(h);
    c.once('cancel', () => {
      h.canceled = true;
    });
  });
  const ua = new UdpUa();
  await ua.open();
  t.teardown(() => ua.close());
  const ruri = 'sip:*43@switchboard.test';
  const base = {
    From: '<sip:bob@switchboard.test>;tag=cx',
    To: `<${ruri}>`,
    'Call-ID': 'cancel-auth-1',
    Contact: `<sip:bob@127.0.0.1:${ua.port}>`,
  };
  const ack = (cseq: number, via: string) =>
    ua
      .request(
        `ACK ${ruri} SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\nFrom: ${base.From}\r\nTo: ${base.To}\r\nCall-ID: ${base['Call-ID']}\r\nCSeq: ${cseq} ACK\r\nContent-Length: 0\r\n\r\n`,
        stack.udpPort,
        100,
      )
      .catch(() => undefined);
  const first = await ua.request(buildRequest('INVITE', ruri, ua, { ...base, CSeq: '1 INVITE' }), stack.udpPort);
  t.equal(first.status, 407);
  void ack(1, header(first, 'Via')[0]!);
  const auth = new DigestClient({ username: 'bob', password: 'bob-pw' }).authorize(
    pickChallenge(header(first, 'Proxy-Authenticate'))!,
    'INVITE',
    ruri,
  );
  const invite = buildRequest('INVITE', ruri, ua, { ...base, CSeq: '2 INVITE', 'Proxy-Authorization': auth });
  const via = /\r\nVia: (.*)\r\n/.exec(invite)![1]!;
  const answered: Promise<WireResponse> = ua.request(invite, stack.udpPort, 5000);
  const deadline = Date.now() + 3000;
  while (release === undefined) {
    if (Date.now() > deadline) throw new Error('the credential lookup never started');
    await new Promise((r) => setTimeout(r, 5));
  }
  const cancel = await ua.request(
    `CANCEL ${ruri} SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\nFrom: ${base.From}\r\nTo: ${base.To}\r\nCall-ID: ${base['Call-ID']}\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n`,
    stack.udpPort,
  );
  t.equal(cancel.status, 200, 'the CANCEL is accepted');
  release();
  const final = await answered;
  void ack(2, via);
  t.equal(final.status, 487, 'the INVITE ends 487 Request Terminated');
  await until(() => handed.every((h) => h.canceled), { timeoutMs: 3000 });
  t.ok(
    handed.length <= 1 && handed.every((h) => h.canceled),
    `no live call was handed to the call layer (${JSON.stringify(handed)})`,
  );
  t.ok(lookups >= 1, 'the lookup ran');
});
