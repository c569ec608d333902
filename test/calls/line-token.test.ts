/**
 * A trunk's `line` token (in the Contact we register at the carrier) does not make a request the
 * carrier's: an INVITE naming it from another address is challenged like any phone's and rings
 * nobody; from the carrier's address the same request is taken as the carrier's.
 */
import t from 'tap';
import { startTestPlatform } from '../helpers/platform.js';
import { registeredPhone, tempDir, toneWav } from './phones.js';
import { UdpUa, buildRequest, buildResponse, type WireResponse } from '../sip/app/udp-ua.js';

t.setTimeout(60000);

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

t.test('an INVITE with the trunk line token from a stranger is challenged and rings nobody', async (t) => {
  const dir = tempDir(t, 'calls-line-');
  const carrier = new UdpUa();
  await carrier.open('127.0.0.2');
  t.teardown(() => carrier.close());
  carrier.onRequest = (raw, send) => {
    if (raw.startsWith('REGISTER ')) send(buildResponse(raw, 200, 'OK'));
  };
  const tp = await startTestPlatform(t, {
    users: ['alice'],
    config: {
      trunks: [
        {
          name: 'carrier',
          host: '127.0.0.2',
          port: carrier.port,
          transport: 'udp',
          register: true,
          username: 'acct',
          password: 'pw',
        },
      ],
    },
  });
  const phone = await registeredPhone(t, tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 440) });
  let rang = false;
  phone.on('event', (e) => {
    if (e.type === 'CALL_INCOMING') rang = true;
  });
  let calls = 0;
  tp.platform.calls.on('added', () => calls++);
  const token = tp.platform.sip.trunks.lineToken('carrier')!;
  const mallory = new UdpUa();
  await mallory.open('127.0.0.3');
  t.teardown(() => mallory.close());

  let n = 0;
  const invite = (from: UdpUa): Promise<WireResponse> => {
    n++;
    const ruri = `sip:alice@${tp.sip.host}:${tp.sip.port};line=${token}`;
    return from.request(
      buildRequest(
        'INVITE',
        ruri,
        from,
        {
          From: `<sip:+15550001111@${from.host}>;tag=m${n}`,
          To: `<sip:alice@${tp.sip.host}>`,
          'Call-ID': `line-${n}`,
          CSeq: '1 INVITE',
          Contact: `<sip:x@${from.host}:${from.port}>`,
          'Content-Type': 'application/sdp',
        },
        OFFER,
      ),
      tp.sip.port,
      10000,
    );
  };
  const stranger = await invite(mallory);
  t.equal(stranger.status, 407, 'from another address the token earns a challenge, like any phone');
  t.equal(calls, 0, 'no call was set up');
  t.notOk(rang, 'alice was not rung');

  // The carrier itself, sending from its address, is not challenged (alice rings; the test does not answer).
  const fromCarrier = invite(carrier);
  const until = Date.now() + 10000;
  while (calls === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.equal(calls, 1, "from the carrier's address the request is the carrier's call");
  await tp.platform.calls.endAll({ reason: 'test over', sipStatus: 480, status: 'no-answer' });
  t.equal((await fromCarrier).status, 480);
});
