import t from 'tap';
import {
  acceptAnswer,
  answerDirection,
  buildSdp,
  negotiateAnswer,
  offerCodecs,
  parseMediaDescription,
} from '../../../media/sdp.js';
import { SdpNegotiationError } from '../../../media/types.js';
import pino from 'pino';
import { RtpEndpoint } from '../../../media/endpoints/rtp-endpoint.js';
import { PortAllocator } from '../../../media/port-allocator.js';
import { limitOpusRate, OPUS_SPEC, weriftCodecs } from '../../../media/endpoints/webrtc-codecs.js';

const offer = (m: string[], c = '10.0.0.5', extra: string[] = []): string =>
  ['v=0', 'o=- 1 1 IN IP4 10.0.0.5', 's=-', `c=IN IP4 ${c}`, 't=0 0', ...m, ...extra, ''].join('\r\n');

t.test("answer keeps the offerer's order and payload numbers", async (t) => {
  const d = parseMediaDescription(
    offer([
      'm=audio 30000 RTP/AVP 96 0 97',
      'a=rtpmap:96 opus/48000/2',
      'a=fmtp:96 useinbandfec=1; stereo=1',
      'a=rtpmap:97 telephone-event/48000',
      'a=ptime:20',
      'a=rtcp:30011',
    ]),
  );
  t.equal(d.port, 30000);
  t.equal(d.rtcpPort, 30011, 'a=rtcp honoured');
  t.equal(d.ptime, 20);
  const n = negotiateAnswer(d);
  t.equal(n.codec.name, 'opus');
  t.equal(n.codec.payloadType, 96);
  t.equal(n.codec.params?.useinbandfec, 1);
  t.equal(n.codec.params?.stereo, 1);
  t.equal(n.telephoneEvent?.payloadType, 97);
  t.equal(n.telephoneEvent?.clockRate, 48000);
  const pcmuFirst = negotiateAnswer(
    parseMediaDescription(offer(['m=audio 4000 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000'])),
  );
  t.equal(pcmuFirst.codec.name, 'PCMU', 'static payload types without rtpmap');
  t.equal(pcmuFirst.telephoneEvent?.clockRate, 8000);
  const pcma = negotiateAnswer(parseMediaDescription(offer(['m=audio 4000 RTP/AVP 9 8', 'a=rtpmap:9 G722/8000'])));
  t.equal(pcma.codec.name, 'PCMA', 'skips codecs we do not speak');
});

t.test('directions and hold', async (t) => {
  const mk = (dir: string, c?: string) => parseMediaDescription(offer(['m=audio 4000 RTP/AVP 0', `a=${dir}`], c));
  t.equal(answerDirection(mk('sendrecv')), 'sendrecv');
  t.equal(answerDirection(mk('sendonly')), 'recvonly');
  t.equal(answerDirection(mk('recvonly')), 'sendonly');
  t.equal(answerDirection(mk('inactive')), 'inactive');
  t.equal(answerDirection(mk('sendrecv', '0.0.0.0')), 'recvonly', 'c=0.0.0.0 is hold');
  const held = negotiateAnswer(mk('sendonly'));
  t.equal(held.canSend, false, 'stop sending while held');
  t.equal(held.expectReceive, true);
  const inactive = negotiateAnswer(mk('inactive'));
  t.equal(inactive.expectReceive, false, 'no media timeout while inactive');
});

t.test('failures are SdpNegotiationError', async (t) => {
  t.throws(
    () => negotiateAnswer(parseMediaDescription(offer(['m=audio 4000 RTP/AVP 9', 'a=rtpmap:9 G722/8000']))),
    SdpNegotiationError,
  );
  t.throws(() => parseMediaDescription(offer(['m=video 4000 RTP/AVP 96'])), SdpNegotiationError);
  t.throws(() => parseMediaDescription(offer(['m=audio 0 RTP/AVP 0'])), SdpNegotiationError, 'rejected stream');
  t.throws(() => parseMediaDescription('garbage'), SdpNegotiationError);
  t.throws(
    () => acceptAnswer(parseMediaDescription(offer(['m=audio 4000 RTP/AVP 8'])), offerCodecs(['PCMU'])),
    SdpNegotiationError,
  );
});

t.test('our offer round-trips through the parser', async (t) => {
  const codecs = offerCodecs(['opus', 'PCMU']);
  const sdp = buildSdp({ sessionId: 42, version: 3, address: '192.0.2.7', port: 20000, direction: 'sendrecv', codecs });
  t.match(sdp, /m=audio 20000 RTP\/AVP 111 0 101 110/);
  t.match(sdp, /a=rtpmap:111 opus\/48000\/2/);
  t.match(sdp, /a=fmtp:111 stereo=0;maxptime=40/);
  t.notMatch(sdp, /useinbandfec/, 'our decoder cannot use in-band FEC, so we do not ask for it (RFC 7587 default 0)');
  t.match(sdp, /a=rtpmap:110 telephone-event\/48000/);
  t.match(sdp, /a=rtcp:20001/);
  t.match(sdp, /c=IN IP4 192\.0\.2\.7/);
  const back = parseMediaDescription(sdp);
  t.same(
    back.codecs.map((c) => c.name),
    ['opus', 'PCMU'],
  );
  t.same(
    back.telephoneEvents.map((c) => c.clockRate),
    [8000, 48000],
  );
  const answer = acceptAnswer(
    parseMediaDescription(offer(['m=audio 5000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000'])),
    codecs,
  );
  t.equal(answer.codec.name, 'PCMU');
  t.equal(answer.remote.port, 5000);
});

t.test('no leg asks the remote for Opus in-band FEC our decoder would ignore', async (t) => {
  const base = 30000 + Math.floor(Math.random() * 4000) * 2;
  const ep = new RtpEndpoint({
    id: 'fec',
    ports: new PortAllocator(base, base + 3),
    address: '127.0.0.1',
    advertisedAddress: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    webrtc: { iceAddresses: [], includeLoopback: false, stunServers: [], turnServers: [] },
  });
  t.teardown(() => ep.close());
  const answer = await ep.answer(offer(['m=audio 30000 RTP/AVP 96', 'a=rtpmap:96 opus/48000/2', 'a=fmtp:96 useinbandfec=1']));
  t.match(answer, /a=fmtp:96 stereo=0/, 'RTP leg answers Opus');
  t.notMatch(answer, /useinbandfec/, 'RTP legs');
  t.notMatch(
    weriftCodecs()
      .map((c) => c.parameters ?? '')
      .join(' '),
    /useinbandfec/,
    'WebRTC legs',
  );
  t.notMatch(JSON.stringify(OPUS_SPEC.params), /useinbandfec/);
});

t.test('a leg bridged to G.711 tells its Opus far end 8 kHz is all it plays and sends (RFC 7587)', async (t) => {
  const base = 30000 + Math.floor(Math.random() * 4000) * 2;
  const ep = (id: string) =>
    new RtpEndpoint({
      id,
      ports: new PortAllocator(base, base + 7),
      address: '127.0.0.1',
      advertisedAddress: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      webrtc: { iceAddresses: [], includeLoopback: false, stunServers: [], turnServers: [] },
    });
  const [a, b, c] = [ep('a'), ep('b'), ep('c')];
  t.teardown(() => {
    a.close();
    b.close();
    c.close();
  });
  const opusOffer = offer(['m=audio 30000 RTP/AVP 96', 'a=rtpmap:96 opus/48000/2']);
  const answer = await a.answer(opusOffer, { maxPlaybackRate: 8000 });
  const fmtp = /^a=fmtp:96 (.*)$/m.exec(answer)?.[1] ?? '';
  t.match(fmtp, /(^|;)maxplaybackrate=8000(;|$)/, `answer's fmtp: ${fmtp}`);
  t.match(fmtp, /(^|;)sprop-maxcapturerate=8000(;|$)/);
  t.match(fmtp, /stereo=0/, 'the other parameters stay');
  const reanswer = await a.answer(offer(['m=audio 30000 RTP/AVP 96', 'a=rtpmap:96 opus/48000/2', 'a=sendonly']));
  t.match(reanswer, /maxplaybackrate=8000/, 'a re-offer (hold) is answered with the same limit');
  t.notMatch(await b.answer(opusOffer), /maxplaybackrate|sprop-maxcapturerate/, 'no limit unless asked for');
  const pcmu = await b.answer(offer(['m=audio 30000 RTP/AVP 0']), { maxPlaybackRate: 8000 });
  t.notMatch(pcmu, /a=fmtp:0/, 'a G.711 answer has no Opus parameters');
  const ours = await c.createOffer({ maxPlaybackRate: 8000 });
  const opusPt = /^a=rtpmap:(\d+) opus\/48000\/2$/m.exec(ours)?.[1];
  t.ok(opusPt, 'our offer has Opus');
  t.match(ours, new RegExp(`^a=fmtp:${opusPt} .*maxplaybackrate=8000`, 'm'), 'and offers it with the limit');
  t.notMatch(/^a=fmtp:0 .*$/m.exec(ours)?.[0] ?? '', /maxplaybackrate/, 'on Opus only');
});

t.test("the handle reads the codec an answer settled on off the answer's first payload", async (t) => {
  const { firstAudioCodec } = await import('../../../media/endpoint-handle.js');
  t.equal(firstAudioCodec(offer(['m=audio 4000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000'])), 'PCMU');
  t.equal(firstAudioCodec(offer(['m=audio 4000 RTP/AVP 8'])), 'PCMA', 'static type without rtpmap');
  t.equal(firstAudioCodec(offer(['m=audio 4000 RTP/AVP 96 0', 'a=rtpmap:96 OPUS/48000/2'])), 'opus');
  t.equal(firstAudioCodec(offer(['m=audio 4000 RTP/AVP 97', 'a=rtpmap:97 pcmu/8000'])), 'PCMU', 'names are case-blind');
  t.equal(firstAudioCodec('v=0\r\n'), undefined, 'no audio line');
});

t.test("a WebRTC leg's SDP gets the Opus rate limit in its fmtp, whatever werift wrote", async (t) => {
  const withFmtp = offer([
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 126',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10',
    'a=rtpmap:126 telephone-event/48000',
  ]);
  const limited = limitOpusRate(withFmtp, 8000);
  t.match(limited, /^a=fmtp:111 minptime=10;maxplaybackrate=8000;sprop-maxcapturerate=8000\r$/m, 'appended to the fmtp');
  t.equal(limitOpusRate(limited, 8000), limited, 'applied twice, written once');
  const noFmtp = offer(['m=audio 9 UDP/TLS/RTP/SAVPF 96', 'a=rtpmap:96 opus/48000/2']);
  t.match(
    limitOpusRate(noFmtp, 8000),
    /^a=rtpmap:96 opus\/48000\/2\r\na=fmtp:96 maxplaybackrate=8000;sprop-maxcapturerate=8000\r$/m,
    'an fmtp line added',
  );
  t.equal(limitOpusRate(withFmtp, undefined), withFmtp, 'no limit asked: unchanged');
  t.equal(limitOpusRate(withFmtp, 48000), withFmtp, 'full band: unchanged');
  const parsed = negotiateAnswer(parseMediaDescription(limitOpusRate(withFmtp, 8000)));
  t.equal(parsed.codec.params?.maxplaybackrate, 8000, 'our own parser reads it back');
});
