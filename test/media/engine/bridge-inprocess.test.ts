import t from 'tap';
import { PortAllocator } from '../../../media/port-allocator.js';
import { RtpEndpoint } from '../../../media/endpoints/rtp-endpoint.js';
import { Bridge } from '../../../media/bridge.js';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { rtpEndpointContext } from '../../helpers/rtp-endpoint-ctx.js';
import { peakFrequency, toneToResidualDb } from '../../media/unit/spectrum.js';
import { peerOffer } from './peer-sdp.js';
import type { CodecSpec } from '../../../media/types.js';

const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const OPUS: CodecSpec = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };

/** Two RTP endpoints in this process (no worker), a PCMU peer on a and a `codecB` peer on b. */
async function endpointPair(t: { teardown(fn: () => void): void }, rangeBase: number, codecB: 'PCMU' | 'opus') {
  const base = rangeBase + Math.floor(Math.random() * 2000) * 2;
  const ports = new PortAllocator(base, base + 40);
  const a = new RtpEndpoint(rtpEndpointContext('a', ports));
  const b = new RtpEndpoint(rtpEndpointContext('b', ports));
  const pa = await RtpPeer.start();
  const pb = await RtpPeer.start();
  t.teardown(() => {
    a.close();
    b.close();
    pa.close();
    pb.close();
  });
  await a.answer(peerOffer(pa.port, 'PCMU'));
  await b.answer(peerOffer(pb.port, codecB));
  return { a, b, pa, pb };
}

t.test('PCMU <-> Opus bridge carries a tone each way (transcoded)', async (t) => {
  const { a, b, pa, pb } = await endpointPair(t, 41000, 'opus');
  const bridge = new Bridge(a, b);
  t.equal(bridge.mode, 'transcode');
  t.equal(b.pcmRate, 8000, 'opus leg runs at 8 kHz facing a narrowband leg');
  await Promise.all([
    pa.send({ remote: { address: '127.0.0.1', port: a.port }, codec: PCMU, toneHz: 1000, durationMs: 1000 }),
    pb.send({ remote: { address: '127.0.0.1', port: b.port }, codec: OPUS, toneHz: 600, durationMs: 1000 }),
  ]);
  const ra = await pa.reportWhen((r) => r.packets.length >= 48, { decodeAs: PCMU });
  const rb = await pb.reportWhen((r) => r.packets.length >= 48, { decodeAs: OPUS, pcmRate: 48000 });
  t.ok(rb.packets.length > 40, `opus side got ${rb.packets.length} packets`);
  t.ok(ra.packets.length > 40, `pcmu side got ${ra.packets.length} packets`);
  const atB = Int16Array.from(rb.pcm.slice(48000 * 0.2));
  const atA = Int16Array.from(ra.pcm.slice(8000 * 0.2));
  t.ok(
    Math.abs(peakFrequency(atB, 48000, 200, 4000) - 1000) <= 20,
    `1 kHz arrives on the opus side (peak ${peakFrequency(atB, 48000, 200, 4000)})`,
  );
  t.ok(
    Math.abs(peakFrequency(atA, 8000, 200, 3500) - 600) <= 20,
    `600 Hz arrives on the pcmu side (peak ${peakFrequency(atA, 8000, 200, 3500)})`,
  );
  t.ok(
    toneToResidualDb(atB, 48000, 1000) > 15,
    `clean tone on the opus side (${toneToResidualDb(atB, 48000, 1000).toFixed(1)} dB)`,
  );
  bridge.close();
});

t.test('PCMU <-> PCMU bridge passes payloads through untouched', async (t) => {
  const { a, b, pa, pb } = await endpointPair(t, 43200, 'PCMU');
  const bridge = new Bridge(a, b);
  t.equal(bridge.mode, 'passthrough');
  await pa.send({ remote: { address: '127.0.0.1', port: a.port }, codec: PCMU, toneHz: 1000, durationMs: 400 });
  const sent = (await pa.report()).sentPayloadsHex;
  const got = (await pb.reportWhen((r) => r.packets.length >= sent.length)).packets;
  t.equal(got.length, sent.length, 'every packet arrived');
  t.same(
    got.map((p) => p.payloadHex),
    sent,
    'payload bytes identical',
  );
  t.not(got[0].ssrc, 0x1234abcd, 'SSRC rewritten to the bridge leg');
  for (let i = 1; i < got.length; i++) {
    if (((got[i].seq - got[i - 1].seq) & 0xffff) !== 1 || (got[i].ts - got[i - 1].ts) >>> 0 !== 160) {
      t.fail(`discontinuity at ${i}`);
      break;
    }
  }
});
