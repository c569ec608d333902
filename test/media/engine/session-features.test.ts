import t from 'tap';
import { peakFrequency, toneAmplitude } from '../../media/unit/spectrum.js';
import type { CodecSpec } from '../../../media/types.js';
import { decodeAlaw, decodeMulaw } from '../../../media/codecs/index.js';
import { peerOffer } from './peer-sdp.js';
import { until } from '../../helpers/wait.js';
import { bridgedPeers, local, openSession, peers, sdpPort, sharedMediaServer } from './server-fixture.js';

const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const OPUS: CodecSpec = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };

// One media server for the file: every subtest works in sessions of its own (closed when it ends).
const media = sharedMediaServer(t);
t.test('lost packets on the PCMU leg are concealed: the Opus leg gets a frame for every 20 ms', async (t) => {
  const { pa, pb, towardsA } = await bridgedPeers(t, 'PCMU', 'opus', { ms: await media() });
  await pa.send({ remote: towardsA, codec: PCMU, toneHz: 1000, durationMs: 1000, drop: [20, 30, 31, 40] });
  const r = await pb.reportWhen((x) => x.packets.length >= 50, { decodeAs: OPUS, pcmRate: 48000 });
  t.equal(r.packets.length, 50, '46 packets in, 50 frames out (4 concealed)');
  const seqs = r.packets.map((p) => p.seq);
  t.ok(
    seqs.every((q, i) => i === 0 || ((q - seqs[i - 1]) & 0xffff) === 1),
    'no gap on the Opus leg',
  );
  const pcm = Int16Array.from(r.pcm.slice(9600));
  t.ok(Math.abs(peakFrequency(pcm, 48000, 200, 4000) - 1000) <= 20, 'the tone survives');
});

const PCMA: CodecSpec = { name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 };

/** Worst per-frame difference between what the PCMA leg got and what the PCMU peer sent. */
async function pcmuToPcmaWorstFrame(
  t: { teardown(fn: () => void): void },
  timing: { lateMs?: Record<number, number>; drop?: number[] },
) {
  const { pa, pb, towardsA } = await bridgedPeers(t, 'PCMU', 'PCMA', { ms: await media() });
  await pa.send({ remote: towardsA, codec: PCMU, toneHz: 770, durationMs: 1000, ...timing });
  const sent = (await pa.report()).sentPayloadsHex.map((h) => decodeMulaw(Buffer.from(h, 'hex')));
  const got = (await pb.reportWhen((x) => x.packets.filter((p) => p.pt === 8).length >= 50)).packets
    .filter((p) => p.pt === 8)
    .map((p) => decodeAlaw(Buffer.from(p.payloadHex, 'hex')));
  const worst = (k: number) => (got[k] ? Math.max(...got[k].map((v, i) => Math.abs(v - sent[k][i]))) : Infinity);
  return { frames: got.length, worst, worstOf: (ks: number[]) => Math.max(...ks.map(worst)) };
}

t.test('reordered packets on a transcoded leg are put back in order: nothing concealed', async (t) => {
  const late = [10, 25, 40];
  // Each of these is sent 30 ms after its time, so it arrives 10 ms behind the next packet.
  const r = await pcmuToPcmaWorstFrame(t, { lateMs: Object.fromEntries(late.map((k) => [k, 30])) });
  t.equal(r.frames, 50, 'a PCMA frame for every PCMU frame sent');
  const all = r.worstOf(Array.from({ length: 50 }, (_, k) => k));
  t.ok(all < 600, `every frame is the sender's own audio, A-law requantised (worst sample error ${all})`);
  // The control: the same packets lost instead of late are concealed, and that is audible here.
  const lost = await pcmuToPcmaWorstFrame(t, { drop: late });
  t.ok(lost.worstOf(late) > 2000, `whereas lost ones are concealed, not the sender's audio (error ${lost.worstOf(late)})`);
});

for (const [from, to, ptime] of [
  ['opus', 'PCMU', 30],
  ['opus', 'PCMA', 10],
  ['PCMU', 'opus', 40],
  ['PCMU', 'PCMA', 60],
] as const) {
  t.test(`a ${to} peer that asks for ptime ${ptime} gets ${ptime} ms packets of continuous audio`, async (t) => {
    const { pa, pb, towardsA } = await bridgedPeers(t, from, to, { ptimeB: ptime, ms: await media() });
    await pa.send({ remote: towardsA, codec: from === 'opus' ? OPUS : PCMU, toneHz: 700, durationMs: 1200 });
    const spec = to === 'opus' ? OPUS : to === 'PCMA' ? PCMA : PCMU;
    const rate = to === 'opus' ? 48000 : 8000;
    // the last packet may stay partial: all but one of 1.2 s worth
    const r = await pb.reportWhen((x) => x.packets.filter((p) => p.pt === spec.payloadType).length >= 1200 / ptime - 1, {
      decodeAs: spec,
      pcmRate: rate,
    });
    const audio = r.packets.filter((p) => p.pt === spec.payloadType);
    const ticks = (spec.clockRate * ptime) / 1000;
    const steps = audio.slice(1).map((p, i) => (p.ts - audio[i].ts) >>> 0);
    t.ok(audio.length >= (1200 / ptime) * 0.8, `${audio.length} packets for 1.2 s`);
    t.ok(
      steps.every((d) => d === ticks),
      `every timestamp step is ${ticks} (${[...new Set(steps)].join(', ')})`,
    );
    if (to !== 'opus')
      t.ok(
        audio.every((p) => p.payloadHex.length / 2 === (8000 * ptime) / 1000),
        `each packet carries ${ptime} ms of G.711`,
      );
    else
      t.equal(
        r.pcm.length,
        audio.length * 48 * ptime,
        `each Opus packet decodes to ${ptime} ms (${r.pcm.length} samples from ${audio.length} packets)`,
      );
    const pcm = Int16Array.from(r.pcm.slice(rate / 5));
    t.ok(Math.abs(peakFrequency(pcm, rate, 200, 3000) - 700) <= 20, 'the tone arrives');
  });
}

t.test('play a tone to an endpoint, with an ended event', async (t) => {
  const ms = await media();
  const [pa] = await peers(t, 1);
  const s = await openSession(t, ms);
  const a = await s.createEndpoint('rtp');
  await a.answer(peerOffer(pa.port, 'opus'));
  const pb = await s.play(a, { tone: 'beep' });
  const ended = await new Promise<{ reason: string }>((r) => pb.once('ended', r));
  t.equal(ended.reason, 'finished');
  const r = await pa.reportWhen((x) => x.packets.length >= 11, { decodeAs: OPUS, pcmRate: 48000 });
  t.ok(r.packets.length >= 11 && r.packets.length <= 16, `a 250 ms beep is about 13 packets (${r.packets.length})`);
  const pcm = Int16Array.from(r.pcm);
  t.ok(Math.abs(peakFrequency(pcm, 48000, 200, 4000) - 1000) <= 20, 'the beep is 1 kHz');
  const looping = await s.play(a, { tone: 'busy' }, { loop: true });
  await pa.reportWhen((x) => x.packets.length >= r.packets.length + 5); // the loop is playing
  looping.stop();
  t.equal((await new Promise<{ reason: string }>((r) => looping.once('ended', r))).reason, 'stopped');
  await t.rejects(s.play(a, { file: '/nonexistent.wav' }), 'a missing file is an error, not a crash');
});

t.test('mixer: a listener hears both talkers; muting one removes it', async (t) => {
  const ms = await media();
  const [p1, p2, p3] = await peers(t, 3);
  const s = await openSession(t, ms);
  const e1 = await s.createEndpoint('rtp');
  const e2 = await s.createEndpoint('rtp');
  const e3 = await s.createEndpoint('rtp');
  const a1 = await e1.answer(peerOffer(p1.port, 'PCMU'));
  const a2 = await e2.answer(peerOffer(p2.port, 'opus'));
  await e3.answer(peerOffer(p3.port, 'PCMU'));
  const mixer = await s.createMixer();
  await mixer.add(e1);
  await mixer.add(e2);
  await mixer.add(e3, { listenOnly: true });
  await Promise.all([
    p1.send({ remote: local(sdpPort(a1)), codec: PCMU, toneHz: 500, durationMs: 1000 }),
    p2.send({ remote: local(sdpPort(a2)), codec: OPUS, toneHz: 1300, durationMs: 1000 }),
  ]);
  // the mixer sends every 20 ms: five more frames and the talkers' last audio is through
  const n0 = (await p3.report()).packets.length;
  const heard = Int16Array.from((await p3.reportWhen((x) => x.packets.length >= n0 + 5, { decodeAs: PCMU })).pcm.slice(2400));
  t.ok(heard.length > 2000, `listener receives audio (${heard.length} samples)`);
  const a500 = toneAmplitude(heard, 8000, 500);
  const a1300 = toneAmplitude(heard, 8000, 1300);
  const a900 = toneAmplitude(heard, 8000, 900);
  t.ok(
    a500 > 10 * a900 && a1300 > 10 * a900,
    `both talkers in the mix (500 Hz ${a500.toFixed(0)}, 1300 Hz ${a1300.toFixed(0)}, 900 Hz ${a900.toFixed(0)})`,
  );
  await mixer.update(e2, { muted: true });
  p3.reset();
  await Promise.all([
    p1.send({ remote: local(sdpPort(a1)), codec: PCMU, toneHz: 500, durationMs: 800 }),
    p2.send({ remote: local(sdpPort(a2)), codec: OPUS, toneHz: 1300, durationMs: 800 }),
  ]);
  const n1 = (await p3.report()).packets.length;
  const muted = Int16Array.from((await p3.reportWhen((x) => x.packets.length >= n1 + 5, { decodeAs: PCMU })).pcm.slice(2400));
  t.ok(toneAmplitude(muted, 8000, 500) > 10 * toneAmplitude(muted, 8000, 1300), 'muted talker is gone from the mix');
  await mixer.close();
});

t.test('a re-offer that changes codec switches the bridge between transcoding and pass-through', async (t) => {
  const { b, pa, pb, towardsA } = await bridgedPeers(t, 'PCMU', 'opus', { ms: await media() });
  await pa.send({ remote: towardsA, codec: PCMU, toneHz: 1000, durationMs: 300 });
  t.ok(
    (await pb.reportWhen((x) => x.packets.length >= 15)).packets.every((p) => p.pt === 111),
    'transcoded to Opus first',
  );
  const re = await b.answer(peerOffer(pb.port, 'PCMU'));
  t.match(re, /m=audio \d+ RTP\/AVP 0 101/);
  pb.reset();
  pa.reset();
  await pa.send({ remote: towardsA, codec: PCMU, toneHz: 1000, durationMs: 300 });
  const sent = (await pa.report()).sentPayloadsHex.slice(-15);
  const got = (await pb.reportWhen((x) => x.packets.length >= 15)).packets;
  t.ok(got.length >= 14 && got.every((p) => p.pt === 0), 'PCMU now');
  t.same(
    got.map((p) => p.payloadHex),
    sent.slice(sent.length - got.length),
    'passed through byte for byte',
  );
});

t.test('in-band DTMF from a peer without telephone-event becomes a dtmf event', async (t) => {
  const ms = await media();
  const [pa] = await peers(t, 1);
  const s = await openSession(t, ms);
  const a = await s.createEndpoint('rtp');
  const noTe = `v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${pa.port} RTP/AVP 0\r\na=sendrecv\r\n`;
  const ans = await a.answer(noTe);
  t.notMatch(ans, /telephone-event/, 'no telephone-event in the answer');
  const got: { digit: string; source: string }[] = [];
  a.on('dtmf', (e) => got.push(e));
  await pa.send({
    remote: local(sdpPort(ans)),
    codec: PCMU,
    toneHz: 300,
    durationMs: 800,
    amplitude: 3000,
    inband: { digit: '9', atMs: 300 },
  });
  await until(() => got.length > 0, { timeoutMs: 2000 });
  t.same(
    got.map((e) => [e.digit, e.source]),
    [['9', 'inband']],
  );
});

t.test('a re-offer with a new address moves the media there', async (t) => {
  const { b, pa, pb, towardsA } = await bridgedPeers(t, 'PCMU', 'PCMU', { ms: await media() });
  const [pc] = await peers(t, 1);
  await pa.send({ remote: towardsA, codec: PCMU, toneHz: 1000, durationMs: 300 });
  const before = (await pb.reportWhen((x) => x.packets.length >= 15)).packets.length;
  t.ok(before >= 14, `old address got media (${before})`);
  await b.answer(peerOffer(pc.port, 'PCMU')); // e.g. the phone moved networks
  await pa.send({ remote: towardsA, codec: PCMU, toneHz: 1000, durationMs: 300 });
  // once the new address has it all, anything sent to the old one would have arrived too
  t.ok((await pc.reportWhen((x) => x.packets.length >= 15)).packets.length >= 14, 'the new address gets the media');
  t.equal((await pb.report()).packets.length, before, 'nothing more to the old address');
});

t.test("Endpoint.sendDtmf sends an RFC 4733 event train with the offerer's payload type", async (t) => {
  const ms = await media();
  const [pa] = await peers(t, 1);
  const s = await openSession(t, ms);
  const a = await s.createEndpoint('rtp');
  await a.answer(peerOffer(pa.port, 'PCMU'));
  await a.sendDtmf('5', 200);
  const isEnd = (p: { pt: number; payloadHex: string }) => p.pt === 101 && (parseInt(p.payloadHex.slice(2, 4), 16) & 0x80) !== 0;
  // the end packet goes out three times (RFC 4733 2.5.1.4): wait for the last of them
  const ev = (await pa.reportWhen((x) => x.packets.filter(isEnd).length >= 3)).packets.filter((p) => p.pt === 101);
  t.ok(ev.length >= 6, `${ev.length} event packets`);
  t.ok(ev[0].marker, 'first packet has the marker');
  t.ok(
    ev.every((p) => p.ts === ev[0].ts),
    'one timestamp for the whole event',
  );
  t.ok(
    ev.every((p) => parseInt(p.payloadHex.slice(0, 2), 16) === 5),
    'event 5',
  );
  const last = ev[ev.length - 1];
  t.ok((parseInt(last.payloadHex.slice(2, 4), 16) & 0x80) !== 0, 'ends with the end bit');
  t.equal(parseInt(last.payloadHex.slice(4, 8), 16), 1600, '200 ms = 1600 samples at 8 kHz');
});
