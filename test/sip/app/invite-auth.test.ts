import t from 'tap';
import { DigestClient, pickChallenge } from '../../../sip/digest.js';
import { startStack } from './harness.js';
import { UdpUa, buildRequest, header } from './udp-ua.js';

t.test('INVITE authenticated with SHA-256 after a 407 becomes a call from that user', async (t) => {
  const stack = await startStack(t);
  const calls: { origin: unknown; to?: string }[] = [];
  stack.app.on('call', (c) => {
    calls.push({ origin: c.origin, to: c.to.user });
    c.reject(603, 'Decline');
  });
  const ua = new UdpUa();
  await ua.open();
  t.teardown(() => ua.close());
  const base = {
    From: '<sip:bob@switchboard.test>;tag=ia',
    To: '<sip:echo@switchboard.test>',
    'Call-ID': 'inv-auth-1',
    Contact: `<sip:bob@127.0.0.1:${ua.port}>`,
  };
  const ack = (cseq: number) =>
    ua
      .request(buildRequest('ACK', 'sip:*43@switchboard.test', ua, { ...base, CSeq: `${cseq} ACK` }), stack.udpPort, 100)
      .catch(() => undefined);
  const first = await ua.request(
    buildRequest('INVITE', 'sip:*43@switchboard.test', ua, { ...base, CSeq: '1 INVITE' }),
    stack.udpPort,
  );
  void ack(1);
  t.equal(first.status, 407);
  const challenges = header(first, 'Proxy-Authenticate');
  t.equal(calls.length, 0, 'no call before authentication');
  const challenge = pickChallenge(challenges)!;
  t.equal(challenge.algorithm, 'SHA-256');
  const auth = new DigestClient({ username: 'bob', password: 'bob-pw' }).authorize(
    challenge,
    'INVITE',
    'sip:*43@switchboard.test',
  );
  const second = await ua.request(
    buildRequest('INVITE', 'sip:*43@switchboard.test', ua, { ...base, CSeq: '2 INVITE', 'Proxy-Authorization': auth }),
    stack.udpPort,
  );
  void ack(2);
  t.equal(second.status, 603);
  t.same(calls, [{ origin: { kind: 'user', user: 'bob' }, to: '*43' }], 'dialed number is the Request-URI user');
});
