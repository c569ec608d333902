/**
 * One agent registered twice, from a desk phone (UDP) and from a browser (SIP over WebSocket): a
 * carrier's call rings both, each with the offer its kind needs (RTP/AVP to the phone, DTLS-SRTP
 * with ICE to the browser); the phone answers first and the browser gets CANCEL.
 */
import t from 'tap';
import { untilOrThrow } from '../helpers/wait.js';
import { WebSocket } from 'ws';
import { randomBytes } from 'node:crypto';
import { DigestClient, pickChallenge } from '../../sip/digest.js';
import { startTestPlatform } from '../helpers/platform.js';
import { UdpUa, buildRequest, buildResponse, header, requestHeaders } from '../sip/app/udp-ua.js';

t.setTimeout(60000);

const PHONE_SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 41000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');
const OFFER = PHONE_SDP.replace('41000', '42000').replace('127.0.0.1', '127.0.0.2').replace('127.0.0.1', '127.0.0.2');

const body = (raw: string) => raw.split('\r\n\r\n')[1] ?? '';

t.test('desk phone and browser: one offer each by kind; the first to answer wins, the other gets CANCEL', async (t) => {
  const carrier = new UdpUa();
  await carrier.open('127.0.0.2');
  t.teardown(() => carrier.close());
  carrier.onRequest = (raw, send) => {
    if (raw.startsWith('BYE ')) send(buildResponse(raw, 200, 'OK'));
  };
  const tp = await startTestPlatform(t, {
    users: ['alice'],
    config: {
      sip: { listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0', 'ws:127.0.0.1:0'] },
      trunks: [{ name: 'carrier', host: '127.0.0.2', port: carrier.port, transport: 'udp' }],
    },
  });
  const domain = `${tp.sip.host}:${tp.sip.port}`;
  const authorize = (www: string[], uri: string) =>
    new DigestClient({ username: 'alice', password: tp.password('alice') }).authorize(pickChallenge(www)!, 'REGISTER', uri);

  // The desk phone registers over UDP.
  const desk = new UdpUa();
  await desk.open('127.0.0.1');
  t.teardown(() => desk.close());
  const deskReg = (cseq: number, auth?: string) =>
    buildRequest('REGISTER', `sip:${domain}`, desk, {
      From: `<sip:alice@${domain}>;tag=d1`,
      To: `<sip:alice@${domain}>`,
      'Call-ID': 'desk-reg',
      CSeq: `${cseq} REGISTER`,
      Contact: `<sip:alice@127.0.0.1:${desk.port}>;expires=600`,
      ...(auth ? { Authorization: auth } : {}),
    });
  const c1 = await desk.request(deskReg(1), tp.sip.port);
  t.equal(c1.status, 401);
  t.equal(
    (await desk.request(deskReg(2, authorize(header(c1, 'WWW-Authenticate'), `sip:${domain}`)), tp.sip.port)).status,
    200,
    'the desk phone registered',
  );

  // The browser registers over WebSocket.
  const wsAddr = tp.platform.sipAddresses.find((a) => a.transport === 'ws')!;
  const ws = new WebSocket(`ws://127.0.0.1:${wsAddr.port}`, 'sip');
  t.teardown(() => ws.close());
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const wsHost = `${randomBytes(4).toString('hex')}.invalid`;
  const wsContact = `<sip:br0wser@${wsHost};transport=ws>`;
  const wsRequests: string[] = [];
  const wsResponses: string[] = [];
  ws.on('message', (d) => {
    const text = d.toString();
    if (text.startsWith('SIP/2.0')) {
      wsResponses.push(text);
      return;
    }
    wsRequests.push(text);
    if (text.startsWith('INVITE')) ws.send(buildResponse(text, 180, 'Ringing', { toTag: 'br' }));
    else if (text.startsWith('CANCEL')) {
      ws.send(buildResponse(text, 200, 'OK'));
      const invite = wsRequests.find((r) => r.startsWith('INVITE'));
      if (invite) ws.send(buildResponse(invite, 487, 'Request Terminated', { toTag: 'br' }));
    }
  });
  const wsReg = (cseq: number, auth?: string) =>
    [
      `REGISTER sip:${domain} SIP/2.0`,
      `Via: SIP/2.0/WS ${wsHost};branch=z9hG4bK${randomBytes(5).toString('hex')}`,
      'Max-Forwards: 70',
      `From: <sip:alice@${domain}>;tag=w1`,
      `To: <sip:alice@${domain}>`,
      'Call-ID: ws-reg',
      `CSeq: ${cseq} REGISTER`,
      `Contact: ${wsContact};expires=600`,
      ...(auth ? [`Authorization: ${auth}`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  ws.send(wsReg(1));
  await untilOrThrow("the browser's challenge", () => wsResponses.length === 1, { timeoutMs: 10000 });
  ws.send(wsReg(2, authorize(requestHeaders(wsResponses[0]!).get('www-authenticate') ?? [], `sip:${domain}`)));
  await untilOrThrow("the browser's registration", () => wsResponses.length === 2, { timeoutMs: 10000 });
  t.match(wsResponses[1]!, /^SIP\/2\.0 200/, 'the browser registered');
  t.equal(tp.platform.sip.registrar.lookup('alice').length, 2, 'alice has two registrations');

  // The desk phone answers once the browser has been offered its call too.
  let deskInvite = '';
  desk.onRequest = (raw, send) => {
    if (raw.startsWith('INVITE')) {
      deskInvite = raw;
      const answer = () => {
        send(buildResponse(raw, 180, 'Ringing', { toTag: 'dk' }));
        send(buildResponse(raw, 200, 'OK', { toTag: 'dk', contact: `<sip:alice@127.0.0.1:${desk.port}>`, body: PHONE_SDP }));
      };
      void untilOrThrow("the browser's INVITE", () => wsRequests.some((r) => r.startsWith('INVITE')), { timeoutMs: 10000 }).then(
        answer,
        answer,
      );
    } else if (raw.startsWith('BYE')) send(buildResponse(raw, 200, 'OK'));
  };
  const ruri = `sip:alice@${domain}`;
  const nextCall = tp.nextCall();
  const answered = carrier.request(
    buildRequest(
      'INVITE',
      ruri,
      carrier,
      {
        From: '<sip:+15550001111@127.0.0.2>;tag=c1',
        To: `<${ruri}>`,
        'Call-ID': 'fork-1',
        CSeq: '1 INVITE',
        Contact: `<sip:c@127.0.0.2:${carrier.port}>`,
        'Content-Type': 'application/sdp',
      },
      OFFER,
    ),
    tp.sip.port,
    15000,
  );
  const call = await nextCall;
  const ok = await answered;
  t.equal(ok.status, 200, "the carrier's call was answered");
  const wsInvite = wsRequests.find((r) => r.startsWith('INVITE'))!;
  t.match(body(wsInvite), /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m, 'the browser was offered DTLS-SRTP');
  t.match(body(wsInvite), /^a=fingerprint:/m, 'with a DTLS fingerprint');
  t.match(body(wsInvite), /^a=ice-ufrag:/m, 'and ICE');
  t.match(body(deskInvite), /^m=audio \d+ RTP\/AVP /m, 'the desk phone was offered plain RTP');
  t.notMatch(body(deskInvite), /a=fingerprint/, 'without DTLS');
  await untilOrThrow('CANCEL to the browser', () => wsRequests.some((r) => r.startsWith('CANCEL')), { timeoutMs: 10000 });
  t.pass('the browser got CANCEL');
  t.match(
    call.legs.find((l) => l.role === 'callee')?.dialog.remoteSdp ?? '',
    /m=audio 41000 RTP\/AVP 0/,
    'the call continues with the desk phone',
  );
  await call.hangup();
});
