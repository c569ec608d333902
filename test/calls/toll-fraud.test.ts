/**
 * Toll fraud by replay: a phone's INVITE through the trunk is overheard, and its Proxy-Authorization
 * re-sent from another address, to the same number and to a premium number. The carrier (a UDP
 * peer on 127.0.0.2 that answers 486) must see the phone's one genuine call and nothing else.
 */
import t from 'tap';
import { DigestClient, pickChallenge } from '../../sip/digest.js';
import { startTestPlatform } from '../helpers/platform.js';
import { UdpUa, buildRequest, buildResponse, header, type WireResponse } from '../sip/app/udp-ua.js';

const OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

t.test('a replayed INVITE answer never reaches the trunk', async (t) => {
  const carrier = new UdpUa();
  await carrier.open('127.0.0.2');
  t.teardown(() => carrier.close());
  const reached: string[] = [];
  carrier.onRequest = (raw, send) => {
    if (!raw.startsWith('INVITE ')) return;
    reached.push(raw.split(' ')[1]!);
    send(buildResponse(raw, 486, 'Busy Here', { toTag: `c${reached.length}` }));
  };
  const tp = await startTestPlatform(t, {
    users: ['alice'],
    config: { trunks: [{ name: 'carrier', host: '127.0.0.2', port: carrier.port, transport: 'udp' }] },
  });
  let calls = 0;
  tp.platform.calls.on('added', () => calls++);
  const alice = new UdpUa();
  await alice.open('127.0.0.1');
  t.teardown(() => alice.close());
  const mallory = new UdpUa();
  await mallory.open('127.0.0.3');
  t.teardown(() => mallory.close());

  let n = 0;
  const invite = async (from: UdpUa, number: string, auth?: string): Promise<WireResponse> => {
    n++;
    const ruri = `sip:${number}@${tp.sip.host}:${tp.sip.port}`;
    const h: Record<string, string> = {
      From: `<sip:alice@${tp.sip.host}>;tag=f${n}`,
      To: `<${ruri}>`,
      'Call-ID': `fraud-${n}`,
      CSeq: `${n} INVITE`,
      Contact: `<sip:alice@${from.host}:${from.port}>`,
      'Content-Type': 'application/sdp',
    };
    if (auth) h['Proxy-Authorization'] = auth;
    return from.request(buildRequest('INVITE', ruri, from, h, OFFER), tp.sip.port, 10000);
  };

  const number = '15551234567';
  const challenge = await invite(alice, number);
  t.equal(challenge.status, 407);
  const auth = new DigestClient({ username: 'alice', password: tp.password('alice') }).authorize(
    pickChallenge(header(challenge, 'Proxy-Authenticate'))!,
    'INVITE',
    `sip:${number}@${tp.sip.host}:${tp.sip.port}`,
  );
  const genuine = await invite(alice, number, auth);
  t.equal(genuine.status, 486, 'the genuine call went out through the trunk (the carrier was busy)');
  t.same(reached, [`sip:${number}@127.0.0.2:${carrier.port}`]);

  const same = await invite(mallory, number, auth);
  t.equal(same.status, 407, `replay to the same number from another address: ${same.status}`);
  const premium = await invite(mallory, '19005550199', auth);
  t.equal(premium.status, 403, `replay to a premium number: ${premium.status}`);
  const again = await invite(alice, number, auth);
  t.equal(again.status, 407, `replay from the phone's own address: ${again.status}`);
  t.same(reached, [`sip:${number}@127.0.0.2:${carrier.port}`], 'the carrier saw only the genuine call');
  t.equal(calls, 1, 'no other call was set up');
});
