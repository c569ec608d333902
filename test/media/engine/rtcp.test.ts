import t from 'tap';
import { until } from '../../helpers/wait.js';
import dgram from 'node:dgram';
import { once } from 'node:events';
import pino from 'pino';
import { CompoundPacket, ReceiverReportPacket, SenderReportPacket } from 'rtp.js/packets';
import { nodeBufferToDataView } from 'rtp.js/utils';
import { PortAllocator } from '../../../media/port-allocator.js';
import { RtpEndpoint } from '../../../media/endpoints/rtp-endpoint.js';
import { peerOffer } from './peer-sdp.js';

t.test('RTCP: receiver reports while only receiving, sender reports once sending', async (t) => {
  const base = 45000 + Math.floor(Math.random() * 1000) * 2;
  const ports = new PortAllocator(base, base + 10);
  const rtp = dgram.createSocket('udp4');
  const rtcp = dgram.createSocket('udp4');
  rtp.bind(0, '127.0.0.1');
  await once(rtp, 'listening');
  rtcp.bind(rtp.address().port + 1, '127.0.0.1');
  await once(rtcp, 'listening');
  const ep = new RtpEndpoint(
    {
      id: 'e',
      ports,
      address: '127.0.0.1',
      advertisedAddress: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      webrtc: { iceAddresses: [], includeLoopback: false, stunServers: [], turnServers: [] },
    },
    { rtcpIntervalMs: 150 },
  );
  t.teardown(() => {
    ep.close();
    rtp.close();
    rtcp.close();
  });
  await ep.answer(peerOffer(rtp.address().port, 'PCMU'));
  t.ok(ports.isInUse(ep.port), 'port pair taken from the allocator');
  const reports: (SenderReportPacket | ReceiverReportPacket)[] = [];
  rtcp.on('message', (m) => {
    for (const p of new CompoundPacket(nodeBufferToDataView(m)).getPackets()) {
      if (p instanceof SenderReportPacket || p instanceof ReceiverReportPacket) reports.push(p);
    }
  });
  // 10 packets with one missing (seq 105) from SSRC 0xabc
  for (let i = 0; i < 10; i++) {
    if (i === 5) continue;
    const h = Buffer.alloc(12 + 160, 0xff);
    h[0] = 0x80;
    h[1] = 0;
    h.writeUInt16BE(100 + i, 2);
    h.writeUInt32BE(i * 160, 4);
    h.writeUInt32BE(0xabc, 8);
    rtp.send(h, ep.port, '127.0.0.1');
  }
  const complete = (p: SenderReportPacket | ReceiverReportPacket): boolean =>
    p instanceof ReceiverReportPacket && p.getReports()[0]?.getHighestSeqNumber() === 109;
  await until(() => reports.some(complete), { timeoutMs: 5000 });
  const rr = reports.find(complete) as ReceiverReportPacket | undefined;
  t.ok(rr, 'receiver report sent');
  const block = rr?.getReports()[0];
  t.equal(block?.getSsrc(), 0xabc, 'report block about the remote SSRC');
  t.equal(block?.getTotalLost(), 1, 'one packet counted lost');
  t.equal(block?.getHighestSeqNumber(), 109);
  ep.sendAudio({ samples: new Int16Array(160), sampleRate: 8000 });
  ep.sendAudio({ samples: new Int16Array(160), sampleRate: 8000 });
  await until(() => reports.some((p) => p instanceof SenderReportPacket), { timeoutMs: 5000 });
  const sr = reports.find((p) => p instanceof SenderReportPacket) as SenderReportPacket | undefined;
  t.ok(sr, 'sender report once we sent');
  t.equal(sr?.getPacketCount(), 2);
  t.equal(sr?.getOctetCount(), 320);
  const port = ep.port;
  ep.close();
  t.notOk(ports.isInUse(port), 'port released on close');
});

t.test('RTCP multiplexing (RFC 5761): offered, it is answered, and reports come from and to the RTP port', async (t) => {
  const base = 45000 + Math.floor(Math.random() * 1000) * 2;
  const ports = new PortAllocator(base, base + 10);
  const rtp = dgram.createSocket('udp4');
  rtp.bind(0, '127.0.0.1');
  await once(rtp, 'listening');
  const ep = new RtpEndpoint(
    {
      id: 'e',
      ports,
      address: '127.0.0.1',
      advertisedAddress: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      webrtc: { iceAddresses: [], includeLoopback: false, stunServers: [], turnServers: [] },
    },
    { rtcpIntervalMs: 150 },
  );
  t.teardown(() => {
    ep.close();
    rtp.close();
  });
  const answer = await ep.answer(peerOffer(rtp.address().port, 'PCMU', { rtcpMux: true }));
  t.match(answer, /^a=rtcp-mux\r?$/m, 'the answer accepts rtcp-mux');
  t.match(answer, new RegExp(`^a=rtcp:${ep.port} `, 'm'), 'and names the RTP port for RTCP');
  const reports: { from: number }[] = [];
  rtp.on('message', (m, rinfo) => {
    const pt = m[1];
    if (pt >= 200 && pt <= 204) reports.push({ from: rinfo.port });
  });
  ep.sendAudio({ samples: new Int16Array(160), sampleRate: 8000 });
  await until(() => reports.length > 0, { timeoutMs: 5000 });
  t.ok(reports.length > 0, `RTCP arrived on the peer's RTP port (${reports.length} reports)`);
  t.ok(
    reports.every((r) => r.from === ep.port),
    'sent from our RTP port',
  );

  const plain = await ep.answer(peerOffer(rtp.address().port, 'PCMU'));
  t.notMatch(plain, /a=rtcp-mux/, 'an offer without it is answered without it');
});
