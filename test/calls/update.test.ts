/**
 * RFC 3311 UPDATE in an established call: a carrier moves its RTP port with an UPDATE carrying a new
 * offer; the platform answers 200 with its SDP and sends the media to the new port from then on.
 * An UPDATE without SDP is answered 200 and changes nothing.
 */
import t from 'tap';
import { untilOrThrow } from '../helpers/wait.js';
import dgram from 'node:dgram';
import { startTestPlatform } from '../helpers/platform.js';
import { UdpUa, buildRequest, buildResponse, type WireResponse } from '../sip/app/udp-ua.js';

t.setTimeout(60000);

function offer(port: number, version: number): string {
  return [
    'v=0',
    `o=- 1 ${version} IN IP4 127.0.0.2`,
    's=-',
    'c=IN IP4 127.0.0.2',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** A UDP socket on the carrier's address counting the RTP packets it receives. */
async function rtpSocket(): Promise<{ sock: dgram.Socket; port: number; received: () => number }> {
  const sock = dgram.createSocket('udp4');
  let n = 0;
  sock.on('message', (m) => {
    if (m.length > 12 && (m[0]! & 0xc0) === 0x80) n++;
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.2', r));
  return { sock, port: sock.address().port, received: () => n };
}

function rtpPacket(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(12 + 160, 0xff);
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

t.test('an UPDATE with a new offer moves the media; one without SDP is a refresh', async (t) => {
  const carrier = new UdpUa();
  await carrier.open('127.0.0.2');
  t.teardown(() => carrier.close());
  carrier.onRequest = (raw, send) => {
    if (raw.startsWith('BYE ')) send(buildResponse(raw, 200, 'OK'));
  };
  const tp = await startTestPlatform(t, {
    config: { trunks: [{ name: 'carrier', host: '127.0.0.2', port: carrier.port, transport: 'udp' }] },
  });
  const a = await rtpSocket();
  const b = await rtpSocket();
  t.teardown(() => {
    a.sock.close();
    b.sock.close();
  });

  const ruri = `sip:*43@${tp.sip.host}:${tp.sip.port}`;
  const base = {
    From: `<sip:+15550001111@127.0.0.2>;tag=up1`,
    'Call-ID': 'update-1',
    Contact: `<sip:c@127.0.0.2:${carrier.port}>`,
  };
  const nextCall = tp.nextCall();
  const ok = await carrier.request(
    buildRequest(
      'INVITE',
      ruri,
      carrier,
      { ...base, To: `<${ruri}>`, CSeq: '1 INVITE', 'Content-Type': 'application/sdp' },
      offer(a.port, 1),
    ),
    tp.sip.port,
    10000,
  );
  t.equal(ok.status, 200, 'the echo test number answered');
  const call = await nextCall;
  const to = ok.headers.find((h) => h.name.toLowerCase() === 'to')!.value;
  const contact = /<([^>]+)>/.exec(ok.headers.find((h) => h.name.toLowerCase() === 'contact')!.value)![1]!;
  const media = /^m=audio (\d+)/m.exec(ok.raw.split('\r\n\r\n')[1]!)![1]!;
  const inDialog = (method: string, cseq: number, body = '', extra: Record<string, string> = {}) =>
    buildRequest(method, contact, carrier, { ...base, To: to, CSeq: `${cseq} ${method}`, ...extra }, body);
  carrier.request(inDialog('ACK', 1), tp.sip.port, 50).catch(() => undefined);

  // Media flows to A, the port of the first offer.
  let seq = 1;
  const send = (from: dgram.Socket, count: number) => {
    for (let i = 0; i < count; i++) from.send(rtpPacket(seq++, 0x1234), Number(media), '127.0.0.1');
  };
  const echoed = setInterval(() => send(a.sock, 1), 20);
  await untilOrThrow('the echo at A', () => a.received() >= 10, { timeoutMs: 5000 });
  clearInterval(echoed);

  const refresh: WireResponse = await carrier.request(inDialog('UPDATE', 2), tp.sip.port);
  t.equal(refresh.status, 200, 'an UPDATE without SDP: 200');
  t.equal(refresh.raw.split('\r\n\r\n')[1] ?? '', '', 'and no SDP in the answer');

  const update = await carrier.request(
    inDialog('UPDATE', 3, offer(b.port, 2), { 'Content-Type': 'application/sdp' }),
    tp.sip.port,
  );
  t.equal(update.status, 200, 'the UPDATE with a new offer: 200');
  t.match(update.raw.split('\r\n\r\n')[1] ?? '', /^m=audio \d+ RTP\/AVP 0/m, 'answered with our SDP');
  t.equal(call.legs[0]?.dialog.remoteSdp, offer(b.port, 2), 'the leg holds the new offer');

  // Two packets from the old source: too few to re-latch onto it, so the echo follows the new SDP.
  const atA = a.received();
  send(a.sock, 2);
  await untilOrThrow('the echo at the new port B', () => b.received() >= 2, { timeoutMs: 5000 });
  t.ok(b.received() >= 2, `media now goes to B (${b.received()} packets)`);
  t.equal(a.received(), atA, 'and no longer to A');
  await call.hangup();
});
