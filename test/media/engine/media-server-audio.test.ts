import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakFrequency, toneAmplitude } from '../../media/unit/spectrum.js';
import { readWav } from '../../../media/wav.js';
import type { CodecSpec, DtmfEvent } from '../../../media/types.js';
import { SdpNegotiationError } from '../../../media/index.js';
import { peerOffer } from './peer-sdp.js';
import { until } from '../../helpers/wait.js';
import { bridgedPeers, local, openSession, peers, sdpPort, sharedMediaServer, sleep } from './server-fixture.js';

const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const OPUS98: CodecSpec = { name: 'opus', payloadType: 98, clockRate: 48000, channels: 2 };
// One media server for the file: every subtest works in sessions of its own (closed when it ends).
const media = sharedMediaServer(t);

t.test('worker-hosted bridge: PCMU tone reaches the Opus side and back, recording has both channels', async (t) => {
  const ms = await media();
  const dir = mkdtempSync(join(tmpdir(), 'sb-media-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [pa, pb] = await peers(t, 2);
  const session = await openSession(t, ms);
  const a = await session.createEndpoint('rtp');
  const b = await session.createEndpoint('rtp');
  const ansA = await a.answer(peerOffer(pa.port, 'PCMU'));
  const ansB = await b.answer(peerOffer(pb.port, 'opus-dyn'));
  t.match(ansB, /a=rtpmap:98 opus\/48000\/2/, "answer keeps the offerer's dynamic payload number");
  t.match(ansB, /a=rtpmap:100 telephone-event\/48000/);
  await session.bridge(a, b);
  const rec = await session.record(join(dir, 'call.wav'), [a, b], { sampleRate: 8000 });
  await Promise.all([
    pa.send({ remote: local(sdpPort(ansA)), codec: PCMU, toneHz: 1000, durationMs: 1500 }),
    pb.send({ remote: local(sdpPort(ansB)), codec: OPUS98, toneHz: 440, durationMs: 1500 }),
  ]);
  // both sides have the other's 1.5 s (75 frames, less a few at the start) before the recording stops
  await Promise.all([pa.reportWhen((x) => x.packets.length >= 72), pb.reportWhen((x) => x.packets.length >= 72)]);
  const result = await rec.stop();
  const atB = Int16Array.from((await pb.report(OPUS98, 48000)).pcm.slice(9600));
  const atA = Int16Array.from((await pa.report(PCMU)).pcm.slice(1600));
  t.ok(
    Math.abs(peakFrequency(atB, 48000, 200, 4000) - 1000) <= 20,
    `Opus side hears 1 kHz (${peakFrequency(atB, 48000, 200, 4000)})`,
  );
  t.ok(
    Math.abs(peakFrequency(atA, 8000, 200, 3500) - 440) <= 20,
    `PCMU side hears 440 Hz (${peakFrequency(atA, 8000, 200, 3500)})`,
  );
  t.ok(result.durationMs > 1000, `recording lasted ${result.durationMs} ms`);
  const wav = readWav(result.path);
  t.equal(wav.channels, 2, 'one channel per leg');
  const [left, right] = wav.samples;
  t.ok(toneAmplitude(left, 8000, 1000) > 5 * toneAmplitude(left, 8000, 440), 'left channel (caller) carries 1 kHz');
  t.ok(toneAmplitude(right, 8000, 440) > 5 * toneAmplitude(right, 8000, 1000), 'right channel (callee) carries 440 Hz');
  await session.close();
  t.equal(a.closed && b.closed, true, 'closing the session closed its endpoints');
});

t.test('RFC 4733 from a peer becomes a dtmf event and is relayed to the other leg', async (t) => {
  const { a, pa, pb, towardsA } = await bridgedPeers(t, 'PCMU', 'opus', { ms: await media() });
  const got: DtmfEvent[] = [];
  a.on('dtmf', (e) => got.push(e));
  await pa.send({
    remote: towardsA,
    codec: PCMU,
    toneHz: 500,
    durationMs: 800,
    dtmf: { digit: '7', payloadType: 101, clockRate: 8000, atMs: 200, durationMs: 160 },
  });
  // the relayed event has ended at the other leg, and the 800 ms of audio are through
  await pb.reportWhen(
    (x) => x.packets.length >= 40 && x.packets.some((p) => p.pt === 100 && (parseInt(p.payloadHex.slice(2, 4), 16) & 0x80) !== 0),
  );
  t.equal(got.length, 1, 'one event per key press');
  t.equal(got[0]?.digit, '7');
  t.equal(got[0]?.source, 'rfc4733');
  const relayed = (await pb.report()).packets.filter((p) => p.pt === 100);
  t.ok(relayed.length >= 3, `${relayed.length} telephone-event/48000 packets on the Opus leg`);
  t.equal(parseInt(relayed[0].payloadHex.slice(0, 2), 16), 7, 'relayed event is digit 7');
  t.ok(
    relayed.some((p) => (parseInt(p.payloadHex.slice(2, 4), 16) & 0x80) !== 0),
    'end bit sent',
  );
  a.injectDtmf('#', 100);
  await until(() => got.length >= 2, { timeoutMs: 3000 });
  t.equal(got[1]?.digit, '#', 'SIP INFO digit comes back as the same event');
  t.equal(got[1]?.source, 'info');
});

t.test('hold by re-offer stops media towards the held side; resume restarts it', async (t) => {
  const { b, pa, pb, towardsA } = await bridgedPeers(t, 'PCMU', 'PCMU', { ms: await media() });
  const held = await b.answer(peerOffer(pb.port, 'PCMU', { direction: 'sendonly' }));
  t.match(held, /a=recvonly/, 'sendonly re-offer answered recvonly');
  await pa.send({ remote: towardsA, codec: PCMU, toneHz: 1000, durationMs: 400 });
  // the test: absence; 300 ms is ample for media already sent to arrive (compare the resume below)
  await sleep(300);
  t.equal((await pb.report()).packets.length, 0, 'nothing sent to the held side');
  const inactive = await b.answer(peerOffer(pb.port, 'PCMU', { direction: 'inactive' }));
  t.match(inactive, /a=inactive/);
  const zero = await b.answer(peerOffer(pb.port, 'PCMU', { address: '0.0.0.0' }));
  t.match(zero, /a=recvonly/, 'c=0.0.0.0 hold answered recvonly');
  const resumed = await b.answer(peerOffer(pb.port, 'PCMU'));
  t.match(resumed, /a=sendrecv/);
  t.equal(sdpPort(resumed), sdpPort(held), 'same local port across re-offers');
  await pa.send({ remote: towardsA, codec: PCMU, toneHz: 1000, durationMs: 400 });
  t.ok((await pb.reportWhen((x) => x.packets.length >= 20)).packets.length >= 18, 'media flows again after resume');
});

t.test("echo sends a port's packets back to it; no common codec is an SdpNegotiationError", async (t) => {
  const ms = await media();
  const [pa] = await peers(t, 1);
  const session = await openSession(t, ms);
  const a = await session.createEndpoint('rtp');
  const ans = await a.answer(peerOffer(pa.port, 'PCMU'));
  await session.echo(a);
  await pa.send({ remote: local(sdpPort(ans)), codec: PCMU, toneHz: 700, durationMs: 400 });
  const r = await pa.reportWhen((x) => x.packets.length >= x.sentPayloadsHex.length);
  t.same(
    r.packets.map((p) => p.payloadHex),
    r.sentPayloadsHex,
    'every payload echoed unchanged',
  );
  const b = await session.createEndpoint('rtp');
  const g722 =
    'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n';
  await t.rejects(b.answer(g722), SdpNegotiationError);
  const before = ms.stats();
  t.equal(before.sessions, 1);
  await session.close();
  let w = await ms.workerStats();
  await until(async () => {
    w = await ms.workerStats();
    return w.every((x) => x.sessions + x.endpoints + x.portsInUse === 0);
  });
  t.same(
    w.map((x) => [x.sessions, x.endpoints, x.portsInUse]),
    [[0, 0, 0]],
    'worker holds nothing after close',
  );
});
