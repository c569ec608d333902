import t from 'tap';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { peakFrequency } from '../../media/unit/spectrum.js';
import { peerOffer } from './peer-sdp.js';
import { sdpPort, sleep, startMediaServer } from './server-fixture.js';
import type { CodecSpec } from '../../../media/types.js';

const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const OPUS: CodecSpec = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };

t.test('garbage datagrams and bad SDP do not hurt a running transcoded call', async (t) => {
  const ms = await startMediaServer(t);
  const [pa, pb] = await Promise.all([RtpPeer.start(), RtpPeer.start()]);
  const junk = dgram.createSocket('udp4');
  t.teardown(() => {
    pa.close();
    pb.close();
    junk.close();
  });
  const s = await ms.createSession();
  const a = await s.createEndpoint('rtp');
  const b = await s.createEndpoint('rtp');
  const ansA = await a.answer(peerOffer(pa.port, 'PCMU'));
  const ansB = await b.answer(peerOffer(pb.port, 'opus'));
  await s.bridge(a, b);
  const died: Error[] = [];
  ms.on('worker-died', (e) => died.push(e));
  for (const bad of ['', 'v=0', 'm=audio x', '\u0000\u0001', 'v=0\r\nm=audio 99999999 RTP/AVP 0\r\n']) {
    await t.rejects(a.answer(bad), `bad SDP ${JSON.stringify(bad)} is rejected`);
  }
  const send = pa.send({ remote: { address: '127.0.0.1', port: sdpPort(ansA) }, codec: PCMU, toneHz: 1000, durationMs: 1200 });
  // the peer's stream is latched (its audio comes out of the other leg): stray packets from elsewhere must not take over
  await pb.reportWhen((r) => r.packets.length >= 5);
  // Junk to both legs while audio flows: random bytes, truncated RTP, RTP with a foreign payload
  // type, and Opus payload type carrying random bytes (undecodable).
  for (let i = 0; i < 200; i++) {
    const r = randomBytes(1 + (i % 300));
    junk.send(r, sdpPort(ansA), '127.0.0.1');
    const rtp = Buffer.concat([Buffer.from([0x80, i % 2 ? 111 : 77, 0, i, 0, 0, 0, i, 9, 9, 9, 9]), randomBytes(i % 50)]);
    junk.send(rtp, sdpPort(ansB), '127.0.0.1');
    junk.send(rtp.subarray(0, 5), sdpPort(ansB) + 1, '127.0.0.1');
    if (i % 20 === 0) await sleep(5); // paced, so the kernel drops none of the junk
  }
  await send;
  const heard = Int16Array.from(
    (
      await pb.reportWhen((r) => r.packets.filter((p) => p.pt === OPUS.payloadType).length >= 55, {
        decodeAs: OPUS,
        pcmRate: 48000,
      })
    ).pcm.slice(48000 * 0.4),
  );
  t.same(died, [], 'worker alive');
  t.ok(heard.length > 48000 * 0.5, 'audio kept flowing');
  t.ok(Math.abs(peakFrequency(heard, 48000, 200, 4000) - 1000) <= 20, 'and is still the 1 kHz tone');
});

t.test('a WebRTC endpoint is created in the worker and offers Opus with ICE/DTLS', async (t) => {
  const ms = await startMediaServer(t, {
    webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true, stunServers: [], turnServers: [] },
  });
  const s = await ms.createSession();
  const w = await s.createEndpoint('webrtc');
  t.equal(w.kind, 'webrtc');
  const offer = await w.createOffer();
  t.match(offer, /a=rtpmap:\d+ opus\/48000\/2/);
  t.match(offer, /a=fingerprint:/);
  t.match(offer, /a=candidate:/);
  await s.close();
  t.ok(w.closed);
});
