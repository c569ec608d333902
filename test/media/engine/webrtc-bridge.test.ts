/** PSTN <-> browser path through the worker: a PCMU RTP peer bridged to a WebRTC (werift) peer. */
import t from 'tap';
import { until } from '../../helpers/wait.js';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { WeriftClient } from '../../media/webrtc/werift-client.js';
import { createDecoder, createEncoder } from '../../../media/codecs/index.js';
import { peakFrequency } from '../../media/unit/spectrum.js';
import type { CodecSpec } from '../../../media/types.js';
import { peerOffer } from './peer-sdp.js';
import { sdpPort, startMediaServer } from './server-fixture.js';

const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const OPUS: CodecSpec = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };

t.test('PCMU phone <-> WebRTC Opus: tones both ways through one worker', async (t) => {
  const ms = await startMediaServer(t, {
    webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true, stunServers: [], turnServers: [] },
  });
  const pa = await RtpPeer.start();
  const client = new WeriftClient();
  t.teardown(async () => {
    pa.close();
    await client.close();
  });
  const s = await ms.createSession();
  const w = await s.createEndpoint('webrtc');
  const r = await s.createEndpoint('rtp');
  const answer = await w.answer(await client.offer());
  const rtpPort = sdpPort(await r.createOffer());
  const icePorts = [...answer.matchAll(/a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 (\d+)/gi)].map((m) => Number(m[1]));
  t.ok(
    icePorts.length > 0 && icePorts.every((p) => p > rtpPort && p - rtpPort < 400),
    `ICE ports ${icePorts.join(',')} inside the media range, above the RTP pairs (${rtpPort})`,
  );
  await client.accept(answer);
  await client.connected();
  const ansR = await r.answer(peerOffer(pa.port, 'PCMU'));
  await s.bridge(r, w);

  const enc = createEncoder(OPUS, { pcmRate: 48000 });
  let n = 0;
  // 75 frames (1.5 s) each way, counted rather than timed: on a loaded machine an interval timer
  // fires late, and the phone's share of the test must not shrink with it
  const FRAMES = 75;
  const timer = setInterval(() => {
    const pcm = new Int16Array(960).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n * 960 + i)) / 48000)));
    client.sendOpus(enc.encode(pcm));
    if (++n >= FRAMES) clearInterval(timer);
  }, 20);
  t.teardown(() => {
    clearInterval(timer);
    enc.close();
  });
  await pa.send({ remote: { address: '127.0.0.1', port: sdpPort(ansR) }, codec: PCMU, toneHz: 1000, durationMs: 1500 });
  await until(() => n >= FRAMES, { timeoutMs: 10_000 });
  // the tail of the 1.5 s (75 frames) has crossed the bridge to the browser side
  await until(() => client.received.filter((p) => p.payloadType === 111).length >= 72, { timeoutMs: 3000 });

  const dec = createDecoder(OPUS, { pcmRate: 48000 });
  const got: number[] = [];
  for (const p of client.received.filter((p) => p.payloadType === 111)) got.push(...dec.decode(p.payload));
  dec.close();
  const atBrowser = Int16Array.from(got.slice(48000 * 0.3));
  t.ok(atBrowser.length > 48000 * 0.5, `browser side received ${client.received.length} packets`);
  t.ok(
    Math.abs(peakFrequency(atBrowser, 48000, 200, 4000) - 1000) <= 20,
    `browser hears 1 kHz (${peakFrequency(atBrowser, 48000, 200, 4000)})`,
  );
  const phoneReport = await pa.reportWhen((r) => r.packets.filter((p) => p.pt === 0).length >= FRAMES - 3, {
    decodeAs: PCMU,
  });
  const atPhone = Int16Array.from(phoneReport.pcm.slice(8000 * 0.3));
  t.ok(atPhone.length > 4000, 'phone side received audio');
  t.ok(
    Math.abs(peakFrequency(atPhone, 8000, 200, 3500) - 440) <= 20,
    `phone hears 440 Hz (${peakFrequency(atPhone, 8000, 200, 3500)})`,
  );
  await s.close();
});
