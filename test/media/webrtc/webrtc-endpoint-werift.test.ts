/**
 * WebRtcEndpoint against a werift peer in the same process: both offer directions, audio both
 * ways (checked by spectrum after Opus), RFC 4733 both ways, pass-through continuity, failure
 * when the peer goes away, and close() releasing the ICE sockets.
 */
import t, { type Test } from 'tap';
import { until } from '../../helpers/wait.js';
import { WebRtcEndpoint, type WebRtcEndpointOptions } from '../../../media/endpoints/webrtc-endpoint.js';
import { batchReceiver } from '../../../media/endpoints/udp-receive.js';
import { configSchema } from '../../../config/schema.js';
import { createDecoder, createEncoder } from '../../../media/codecs/index.js';
import type { AudioFrame, DtmfEvent } from '../../../media/types.js';
import { buildTelephoneEvent } from '../../../media/endpoints/webrtc-dtmf.js';
import { WeriftClient } from './werift-client.js';
import { udpNative } from '../../../media/endpoints/udp-native.js';
import dgram from 'node:dgram';
import { ToneSource, concat, peakFrequency } from './tone.js';
import { speechLike } from '../../bench/codec-bench.js';
import { silkFlags } from '../../helpers/opus-lbrr.js';
import { RtcpReceiverInfo, RtcpRrPacket } from 'werift';

// Real calls on loopback, two of them waiting out the FEC's decay (7 s each): beyond tap's 30 s default.
t.setTimeout(120000);

const webrtc = configSchema.parse({ webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true } }).webrtc;
const OPUS = { name: 'opus' as const, payloadType: 111, clockRate: 48000, channels: 2 };

function makeEndpoint(t: Test, id: string, opts?: WebRtcEndpointOptions): WebRtcEndpoint {
  const ep = new WebRtcEndpoint({ id, webrtc }, opts);
  t.teardown(() => ep.close());
  return ep;
}
function makeClient(t: Test): WeriftClient {
  const c = new WeriftClient();
  t.teardown(() => c.close());
  return c;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The peer talking: `frames` 20 ms Opus frames of a tone, paced like a phone. */
function peerTalker(t: Test, client: WeriftClient, freq = 1000): (frames: number) => Promise<void> {
  const enc = createEncoder(OPUS, { pcmRate: 48000 });
  t.teardown(() => enc.close());
  const src = new ToneSource(freq, 48000);
  return async (frames) => {
    for (let i = 0; i < frames; i++) {
      client.sendOpus(enc.encode(src.next()));
      await sleep(20);
    }
  };
}

async function connectBrowserOffer(t: Test, opts?: WebRtcEndpointOptions) {
  const ep = makeEndpoint(t, 'ep-' + Math.random().toString(36).slice(2), opts);
  const client = makeClient(t);
  const answer = await ep.answer(await client.offer());
  await client.accept(answer);
  await client.connected();
  await ep.waitConnected();
  return { ep, client, answer };
}

t.test('answer: SDP is complete (no trickle), loopback only, Opus + telephone-event 48k', async (t) => {
  const { ep, answer } = await connectBrowserOffer(t);
  t.match(answer, /a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
  t.notMatch(answer, /a=candidate:\S+ 1 udp \d+ (?!127\.0\.0\.1)[\d.]+ \d+ typ host/, 'no other interface offered');
  t.match(answer, /a=rtpmap:111 opus\/48000\/2/);
  t.match(answer, /a=rtpmap:126 telephone-event\/48000/);
  t.match(answer, /a=fingerprint:sha-256/);
  t.equal(ep.codec?.name, 'opus');
  t.equal(ep.kind, 'webrtc');
});

t.test('audio both ways, decoded by spectrum', async (t) => {
  const { ep, client } = await connectBrowserOffer(t);
  // peer -> endpoint: 1 kHz
  const frames: Int16Array[] = [];
  ep.on('audio', (f: AudioFrame) => frames.push(f.samples));
  let rtpCount = 0;
  ep.on('rtp', () => rtpCount++);
  const enc = createEncoder(OPUS, { pcmRate: 48000 });
  t.teardown(() => enc.close());
  const src = new ToneSource(1000, 48000);
  const ep440 = new ToneSource(440, 48000);
  for (let i = 0; i < 40; i++) {
    client.sendOpus(enc.encode(src.next()));
    ep.sendAudio({ samples: ep440.next(), sampleRate: 48000 });
    await sleep(20); // paced like a phone
  }
  await until(() => rtpCount >= 38, { timeoutMs: 3000 });
  t.ok(rtpCount >= 35, `endpoint got ${rtpCount} rtp packets`);
  const got = peakFrequency(concat(frames), 48000);
  t.equal(got.freq, 1000, 'endpoint hears 1 kHz');
  // endpoint -> peer: 440 Hz
  const dec = createDecoder(OPUS, { pcmRate: 48000 });
  t.teardown(() => dec.close());
  const opus = client.received.filter((p) => p.payloadType === 111);
  t.ok(opus.length >= 35, `peer got ${opus.length} packets`);
  const pcm = concat(opus.map((p) => dec.decode(p.payload)));
  t.equal(peakFrequency(pcm, 48000).freq, 440, 'peer hears 440 Hz');
  t.equal(ep.sentVia, udpNative ? 'native' : 'dgram', "our audio left straight on the ICE socket, not through werift's chain");
  t.ok(ep.srtpTransform === 'aes-cm' || ep.srtpTransform === 'aes-gcm', `our SRTP transform (${ep.srtpTransform})`);
  t.equal(ep.receivedVia, 'own', "the peer's audio came off the socket our way, not through werift's chain");
  // continuity: consecutive seq and 960-tick timestamps
  for (let i = 1; i < opus.length; i++) {
    if (((opus[i]!.sequenceNumber - opus[i - 1]!.sequenceNumber) & 0xffff) !== 1) {
      t.fail('sequence gap');
      break;
    }
    if ((opus[i]!.timestamp - opus[i - 1]!.timestamp) >>> 0 !== 960) {
      t.fail('timestamp step');
      break;
    }
  }
});

t.test('endpoint offers (call towards a browser) and 8 kHz PCM side', async (t) => {
  const ep = makeEndpoint(t, 'ep-offer');
  ep.setPcmRate(8000);
  const client = makeClient(t);
  // A call from a G.711 caller towards a browser: the browser is asked for narrowband Opus.
  const offer = await ep.createOffer({ codecs: ['opus', 'PCMU'], maxPlaybackRate: 8000 });
  t.match(offer, /a=candidate:.* 127\.0\.0\.1 /);
  t.match(offer, /^a=fmtp:\d+ .*maxplaybackrate=8000;sprop-maxcapturerate=8000/m, 'Opus offered no wider than 8 kHz');
  await ep.setRemoteAnswer(await client.answer(offer));
  await client.connected();
  await ep.waitConnected();
  const frames: Int16Array[] = [];
  ep.on('audio', (f) => {
    t.equal(f.sampleRate, 8000);
    frames.push(f.samples);
  });
  await peerTalker(t, client)(30);
  await until(() => frames.length >= 28, { timeoutMs: 3000 });
  t.ok(frames.length > 20);
  t.equal(frames[0]!.length, 160, '20 ms at 8 kHz');
  t.equal(peakFrequency(concat(frames), 8000).freq, 1000);
});

t.test('RFC 4733 both ways', async (t) => {
  const { ep, client } = await connectBrowserOffer(t);
  const digits: DtmfEvent[] = [];
  ep.on('dtmf', (e) => digits.push(e));
  // peer sends "5" (100 ms) with the usual three End packets
  const ts = 777000;
  for (let d = 960; d < 4800; d += 960) {
    client.sendEvent(buildTelephoneEvent({ event: 5, end: false, volume: 10, duration: d }), d === 960, ts);
    await sleep(20);
  }
  for (let i = 0; i < 3; i++)
    client.sendEvent(buildTelephoneEvent({ event: 5, end: true, volume: 10, duration: 4800 }), false, ts);
  await until(() => digits.length > 0, { timeoutMs: 3000 });
  await sleep(100); // the test: the repeated End packets must not report it again
  t.same(digits, [{ digit: '5', durationMs: 100, source: 'rfc4733' }], 'one digit, reported once');
  ep.sendDtmf('#', 120);
  ep.sendDtmf('1', 80);
  const endsSeen = () => client.received.filter((p) => p.payloadType === 126 && (p.payload[1]! & 0x80) !== 0).length;
  await until(() => endsSeen() >= 6, { timeoutMs: 5000 });
  const events = client.received.filter((p) => p.payloadType === 126);
  const ends = events.filter((p) => (p.payload[1]! & 0x80) !== 0);
  t.equal(ends.length, 6, 'three End packets per digit');
  t.equal(ends[0]!.payload[0], 11, '# is event 11');
  t.equal(ends[0]!.payload.readUInt16BE(2), 120 * 48);
  t.equal(ends[3]!.payload[0], 1);
  t.not(ends[0]!.timestamp, ends[3]!.timestamp, 'separate events');
});

t.test('pass-through keeps our own continuous numbering', async (t) => {
  const { ep, client } = await connectBrowserOffer(t);
  const enc = createEncoder(OPUS, { pcmRate: 48000 });
  t.teardown(() => enc.close());
  const src = new ToneSource(700, 48000);
  for (let i = 0; i < 10; i++) {
    ep.sendRtp({
      payloadType: 111,
      sequenceNumber: 50000 + i,
      timestamp: 123456 + i * 960,
      ssrc: 42,
      marker: false,
      payload: enc.encode(src.next()),
    });
    await sleep(20);
  }
  for (let i = 0; i < 10; i++) {
    ep.sendRtp({
      payloadType: 111,
      sequenceNumber: 9 + i,
      timestamp: 99 + i * 960,
      ssrc: 77,
      marker: false,
      payload: enc.encode(src.next()),
    });
    await sleep(20);
  }
  await until(() => client.received.filter((p) => p.payloadType === 111).length >= 20, { timeoutMs: 3000 });
  const got = client.received.filter((p) => p.payloadType === 111);
  t.equal(got.length, 20);
  for (let i = 1; i < got.length; i++) {
    t.equal((got[i]!.sequenceNumber - got[i - 1]!.sequenceNumber) & 0xffff, 1);
    t.equal((got[i]!.timestamp - got[i - 1]!.timestamp) >>> 0, 960);
  }
});

t.test('sender reports count the audio we sent, with the NTP time of the last packet', async (t) => {
  const { ep, client } = await connectBrowserOffer(t);
  const reports = senderReportsAtPeer(client);
  const tone = new ToneSource(440, 48000);
  const frames = 40;
  let lastSentAt = 0;
  for (let i = 0; i < frames; i++) {
    ep.sendAudio({ samples: tone.next(), sampleRate: 48000 });
    lastSentAt = Date.now();
    await sleep(20);
  }
  await until(() => reports.some((r) => r.packets === frames), { timeoutMs: 10000 });
  const last = reports.find((r) => r.packets === frames);
  t.ok(last, `a report counts the ${frames} packets sent (${JSON.stringify(reports.map((r) => r.packets))})`);
  if (!last) return;
  t.ok(last.octets >= frames * 10, `and their octets (${last.octets})`);
  t.ok(
    Math.abs(last.ntpMs - lastSentAt) < 200,
    `NTP time is when the last packet left (${(last.ntpMs - lastSentAt).toFixed(0)} ms off)`,
  );
});

t.test('peer closing makes the endpoint fail; close() cascades', async (t) => {
  const { ep, client } = await connectBrowserOffer(t, { rtpTimeoutMs: 3000 });
  const failed = new Promise<string>((r) => ep.once('failed', r));
  const started = Date.now();
  await client.close();
  const reason = await failed;
  // the watchdog's 3 s of silence, plus its check interval and room for a loaded machine (it took
  // exactly 4,000 ms beside stress-ng): the test is that a closed peer fails the endpoint, not how fast
  t.match(reason, /no RTP|WebRTC connection (failed|closed)/, `failed after ${Date.now() - started} ms: ${reason}`);
  t.ok(Date.now() - started < 8000, "and not long after the watchdog's 3 s");
  let closed = 0;
  ep.on('closed', () => closed++);
  ep.close();
  ep.close();
  t.equal(closed, 1);
  t.ok(ep.closed);
  await t.rejects(ep.answer('v=0'), /closed/);
});

t.test('silent peer trips the RTP watchdog', async (t) => {
  const { ep } = await connectBrowserOffer(t, { rtpTimeoutMs: 1500 });
  const reason = await new Promise<string>((r) => ep.once('failed', r));
  t.match(reason, /no RTP/);
});

t.test('bad offers are SdpNegotiationError, not crashes', async (t) => {
  const ep = makeEndpoint(t, 'bad');
  await t.rejects(ep.answer('garbage'), { name: 'SdpNegotiationError' });
  const ep2 = makeEndpoint(t, 'bad2');
  await t.rejects(
    ep2.answer(
      'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:0 PCMU/8000\r\n',
    ),
    { name: 'SdpNegotiationError' },
  );
  const noFingerprint =
    'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\n';
  await t.rejects(makeEndpoint(t, 'bad4').answer(noFingerprint), { name: 'SdpNegotiationError', message: /fingerprint/ });
  await t.rejects(
    makeEndpoint(t, 'bad5').answer(noFingerprint.replace('a=ice-ufrag:abcd\r\n', 'a=fingerprint:sha-256 AA:BB\r\n')),
    { name: 'SdpNegotiationError', message: /ice-ufrag/ },
  );
  const ep3 = makeEndpoint(t, 'bad3');
  await t.rejects(ep3.createOffer({ codecs: ['PCMU'] }), { name: 'SdpNegotiationError' });
});

t.test('close() releases the ICE sockets and timers', async (t) => {
  const udpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWRAP' || r === 'UDPWrap').length;
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  // the sockets of the tests before have closed once the count holds still
  let last = -1;
  await until(
    () => {
      const n = udpHandles();
      const still = n === last;
      last = n;
      return still;
    },
    { intervalMs: 100, timeoutMs: 3000 },
  );
  const before = udpHandles();
  const ep = new WebRtcEndpoint({ id: 'leak', webrtc }, { rtpTimeoutMs: 60000 });
  const client = new WeriftClient();
  await client.accept(await ep.answer(await client.offer()));
  await client.connected();
  await ep.waitConnected();
  t.ok(udpHandles() > before, `sockets open during the call (${udpHandles()} > ${before})`);
  const receiver = batchReceiver();
  const registered = receiver?.size ?? 0;
  let n = 0;
  ep.on('rtp', () => n++);
  const enc = createEncoder(OPUS, { pcmRate: 48000 });
  t.teardown(() => enc.close());
  for (let i = 0; i < 5; i++) {
    client.sendOpus(enc.encode(new Int16Array(960)));
    await sleep(20);
  }
  await until(() => n >= 5 && ep.receivedVia === 'own', { timeoutMs: 3000 });
  if (receiver) t.equal(receiver.size, registered + 1, 'the ICE socket is read by the batch receiver during the call');
  ep.close();
  if (receiver) t.equal(receiver.size, registered, 'and no longer once the endpoint closed');
  await client.close();
  await until(() => udpHandles() === before, { timeoutMs: 5000 });
  t.equal(udpHandles(), before, 'every UDP socket closed');
  t.ok(timers() < 20, `no runaway timers (${timers()})`);
});

t.test('re-offers: hold (sendonly) is answered recvonly, resume sendrecv, media keeps flowing', async (t) => {
  const { ep, client } = await connectBrowserOffer(t);
  client.transceiver.setDirection('sendonly');
  const hold = await ep.answer(await client.offer());
  await client.accept(hold);
  t.match(hold, /^a=recvonly$/m);
  client.transceiver.setDirection('sendrecv');
  const resume = await ep.answer(await client.offer());
  await client.accept(resume);
  t.match(resume, /^a=sendrecv$/m);
  const before = client.received.length;
  const src = new ToneSource(440, 48000);
  for (let i = 0; i < 10; i++) {
    ep.sendAudio({ samples: src.next(), sampleRate: 48000 });
    await sleep(20);
  }
  await until(() => client.received.length - before >= 10, { timeoutMs: 3000 });
  t.ok(client.received.length - before >= 9, 'audio after resume');
  t.ok(ep.isConnected, 'same ICE/DTLS session');
});

/** The sender reports the peer receives from us: counts, and NTP (as Unix ms) with its RTP timestamp. */
function senderReportsAtPeer(
  client: WeriftClient,
): Array<{ packets: number; octets: number; ntpMs: number; rtpTimestamp: number }> {
  const out: Array<{ packets: number; octets: number; ntpMs: number; rtpTimestamp: number }> = [];
  client.transceiver.receiver.onRtcp.subscribe((p) => {
    const sr = p as {
      type: number;
      senderInfo?: { ntpTimestamp: bigint; rtpTimestamp: number; packetCount: number; octetCount: number };
    };
    if (sr.type !== 200 || !sr.senderInfo) return;
    const ntp = sr.senderInfo.ntpTimestamp;
    const ntpMs = (Number(ntp >> 32n) - 2208988800) * 1000 + (Number(ntp & 0xffffffffn) / 2 ** 32) * 1000;
    out.push({
      packets: sr.senderInfo.packetCount,
      octets: sr.senderInfo.octetCount,
      ntpMs,
      rtpTimestamp: sr.senderInfo.rtpTimestamp,
    });
  });
  return out;
}

/** The report blocks the peer receives about its own stream (from our RR or SR). */
function reportsOnPeer(client: WeriftClient): Array<{ highestSequence: number; packetsLost: number; fractionLost: number }> {
  const out: Array<{ highestSequence: number; packetsLost: number; fractionLost: number }> = [];
  client.transceiver.dtlsTransport.onRtcp.subscribe((p) => {
    const r = p as {
      type: number;
      reports?: Array<{ ssrc: number; highestSequence: number; packetsLost: number; fractionLost: number }>;
    };
    for (const b of r.reports ?? []) if (b.ssrc === client.transceiver.sender.ssrc) out.push(b);
  });
  return out;
}

/** The SRTP datagrams the peer sends on its nominated pair, with where they went. */
function tapPeerSends(client: WeriftClient): Array<{ packet: Buffer; port: number; address: string }> {
  const sent: Array<{ packet: Buffer; port: number; address: string }> = [];
  const pair = (
    client.transceiver.dtlsTransport.iceTransport.connection as unknown as {
      nominated: { protocol: { transport: { socket: dgram.Socket } } };
    }
  ).nominated;
  const sock = pair.protocol.transport.socket;
  const send = sock.send.bind(sock) as (...a: unknown[]) => void;
  (sock as unknown as { send: (...a: unknown[]) => void }).send = (...args: unknown[]) => {
    const [packet, port, address] = args as [Buffer, number, string];
    if (Buffer.isBuffer(packet) && packet[0] >> 6 === 2 && (packet[1] < 192 || packet[1] > 223))
      sent.push({ packet: Buffer.from(packet), port, address });
    send(...args);
  };
  return sent;
}

for (const via of ['batch receiver', 'dgram'] as const) {
  t.test(`our receive path (${via}): a replayed or forged SRTP packet is refused, the real stream goes on`, async (t) => {
    const receiver = via === 'dgram' ? null : batchReceiver();
    if (via === 'batch receiver' && !receiver) {
      t.pass('no native batch receiver on this machine: the dgram run covers the path');
      return;
    }
    const { ep, client } = await connectBrowserOffer(t, { receiver });
    const sent = tapPeerSends(client);
    const reports = reportsOnPeer(client);
    const seqs: number[] = [];
    ep.on('rtp', (p) => seqs.push(p.sequenceNumber));
    const burst = peerTalker(t, client);
    await burst(10);
    await until(() => seqs.length >= 10 && ep.receivedVia === 'own', { timeoutMs: 3000 });
    t.equal(ep.receivedVia, 'own');
    const before = seqs.length;
    const attacker = dgram.createSocket('udp4');
    t.teardown(() => attacker.close());
    const { packet, port, address } = sent[sent.length - 1]!;
    // a captured packet sent again, as is
    attacker.send(packet, port, address);
    // the same packet with the next number and a changed payload byte: not a replay, but not authentic
    const forged = Buffer.from(packet);
    forged.writeUInt16BE((forged.readUInt16BE(2) + 1) & 0xffff, 2);
    forged[20] ^= 0xff;
    attacker.send(forged, port, address);
    await until(() => (ep.refusedSrtp?.replayed ?? 0) >= 1 && (ep.refusedSrtp?.unauthenticated ?? 0) >= 1, {
      timeoutMs: 3000,
    });
    t.same(ep.refusedSrtp, { replayed: 1, unauthenticated: 1, malformed: 0 });
    t.equal(seqs.length, before, 'neither reached the endpoint');
    await burst(5);
    await until(() => seqs.length >= before + 5, { timeoutMs: 3000 });
    t.equal(seqs.length, before + 5, "the forged number did not move the window: the peer's next packets play");
    t.same(
      seqs.slice(-5).map((s, i, a) => (s - a[0]! - i) & 0xffff),
      [0, 0, 0, 0, 0],
      'in sequence',
    );
    // our receiver reports tell the peer what arrived: up to its last packet, none lost (the refused
    // ones are not counted as received)
    const last = seqs[seqs.length - 1]!;
    await until(() => reports.some((r) => (r.highestSequence & 0xffff) === last), { timeoutMs: 5000 });
    const rr = reports.find((r) => (r.highestSequence & 0xffff) === last);
    t.ok(rr, `a report on the peer's stream up to seq ${last} (${JSON.stringify(reports.slice(-3))})`);
    t.equal(rr?.packetsLost, 0, 'nothing lost');
    t.equal(ep.receivedVia, 'own');
  });
}

t.test("werift's chain when asked (A/B runs): the audio arrives all the same", async (t) => {
  const { ep, client } = await connectBrowserOffer(t, { receiver: 'werift' });
  let n = 0;
  ep.on('rtp', () => n++);
  await peerTalker(t, client)(10);
  await until(() => n >= 10, { timeoutMs: 3000 });
  t.equal(ep.receivedVia, 'werift');
  t.equal(ep.refusedSrtp, undefined);
});

for (const peer of ['listen-only', 'talking'] as const)
  t.test(
    `our in-band FEC follows the loss the browser reports in RTCP (${peer} peer: ${peer === 'talking' ? 'our' : "werift's"} RTCP)`,
    async (t) => {
      const { ep, client } = await connectBrowserOffer(t, { pcmRate: 8000, rtpTimeoutMs: 60000 });
      const silence = Buffer.from([0x08, 0xff, 0xfe]);
      const talk = peer === 'talking' ? setInterval(() => client.sendOpus(silence), 20) : undefined;
      t.teardown(() => clearInterval(talk));
      const lbrr: boolean[] = [];
      client.onPacket = (p) => {
        if (p.payloadType === 111) lbrr.push(silkFlags(p.payload)?.lbrr === true);
      };
      let n = 0;
      // speech: a steady tone soon counts as background noise to SILK's VAD, and inactive frames get no FEC
      const speech = speechLike(8000, 100);
      const pump = setInterval(() => ep.sendAudio({ samples: speech[n++ % speech.length]!, sampleRate: 8000 }), 20);
      t.teardown(() => clearInterval(pump));
      await until(() => lbrr.length >= 50, { timeoutMs: 5000 });
      t.equal(lbrr.filter(Boolean).length, 0, 'a browser reporting no loss: no FEC (a quarter of the encode saved)');
      // the browser reports a quarter of our packets lost
      const ourSsrc = Number(Object.keys((client.transceiver.receiver as unknown as { remoteStreams: object }).remoteStreams)[0]);
      const report = new RtcpRrPacket({
        ssrc: client.transceiver.sender.ssrc,
        reports: [
          new RtcpReceiverInfo({
            ssrc: ourSsrc,
            fractionLost: 64,
            packetsLost: 12,
            highestSequence: 0,
            jitter: 0,
            lsr: 0,
            dlsr: 0,
          }),
        ],
      });
      const at = lbrr.length;
      await client.transceiver.sender.dtlsTransport.sendRtcp([report]);
      await until(() => lbrr.slice(at).filter(Boolean).length >= 10, { timeoutMs: 3000 });
      t.ok(lbrr.slice(at).filter(Boolean).length >= 10, 'FEC from the report on');
      // the browser's own reports say nothing is lost: the expectation halves each second, then FEC stops
      const later = lbrr.length;
      await until(() => lbrr.length > later + 50 && !lbrr.slice(-50).some(Boolean), { timeoutMs: 15000 });
      t.notOk(lbrr.slice(-50).some(Boolean), 'and off again once the reports are clean');
      t.equal(ep.receivedVia, peer === 'talking' ? 'own' : 'werift');
    },
  );

t.test('our own RTCP, once our path reads the peer: sender reports consistent with the audio sent', async (t) => {
  const { ep, client } = await connectBrowserOffer(t);
  const srs = senderReportsAtPeer(client);
  const enc = createEncoder(OPUS, { pcmRate: 48000 });
  t.teardown(() => enc.close());
  const tone = new ToneSource(440, 48000);
  const frames = 40;
  let lastSentAt = 0;
  for (let i = 0; i < frames; i++) {
    client.sendOpus(enc.encode(new Int16Array(960)));
    ep.sendAudio({ samples: tone.next(), sampleRate: 48000 });
    lastSentAt = Date.now();
    await sleep(20);
  }
  t.equal(ep.receivedVia, 'own');
  await until(() => srs.some((r) => r.packets === frames), { timeoutMs: 10000 });
  const sr = srs.find((r) => r.packets === frames);
  t.ok(sr, `a report counts the ${frames} packets sent (${JSON.stringify(srs.map((r) => r.packets))})`);
  if (!sr) return;
  t.ok(sr.octets >= frames * 10, `and their octets (${sr.octets})`);
  // RFC 3550 §6.4.1: the RTP timestamp is the NTP instant's on the media clock
  const lastTs = client.received.filter((p) => p.payloadType === 111).at(-1)!.timestamp;
  const rtpAheadMs = (((sr.rtpTimestamp - lastTs) >>> 0) / 48000) * 1000;
  const ntpAheadMs = sr.ntpMs - lastSentAt;
  t.ok(
    Math.abs(rtpAheadMs - ntpAheadMs) < 100,
    `RTP and NTP time agree (${rtpAheadMs.toFixed(0)} against ${ntpAheadMs.toFixed(0)} ms after the last packet)`,
  );
});
