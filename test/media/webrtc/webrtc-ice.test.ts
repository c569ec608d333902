/** ICE planning and local SDP rewriting: configured addresses, loopback, NAT address, STUN/TURN. */
import t from 'tap';
import { configSchema } from '../../../config/schema.js';
import { planIce, rewriteLocalSdp, usableRemoteSdp } from '../../../media/endpoints/webrtc-ice.js';

const settings = (w: object) => configSchema.parse({ webrtc: w }).webrtc;

const LOCAL = [
  'v=0',
  'o=- 1 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host',
  'a=candidate:2 1 udp 2130706431 127.0.0.1 40002 typ host',
  'a=candidate:3 1 udp 2130706431 172.17.0.1 40004 typ host',
  'a=candidate:4 1 udp 1694498815 198.51.100.7 40000 typ srflx raddr 10.0.0.5 rport 40000',
  'a=end-of-candidates',
  'a=ice-options:trickle',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');

t.test('defaults: every interface, no loopback, no servers', async (t) => {
  const plan = planIce(settings({}));
  t.equal(plan.allowed, undefined);
  t.same(plan.additionalHostAddresses, []);
  t.same(plan.iceServers, []);
  const sdp = rewriteLocalSdp(LOCAL, plan);
  t.equal((sdp.match(/a=candidate:/g) ?? []).length, 4);
  t.match(sdp, /^m=audio 40000 /m, 'm= carries the first candidate port');
  t.match(sdp, /^c=IN IP4 10\.0\.0\.5$/m, 'c= carries the first candidate address');
  t.notMatch(sdp, /ice-options:trickle/, 'complete SDP does not announce trickle');
});

t.test('configured addresses + loopback filter host candidates, keep srflx', async (t) => {
  const plan = planIce(settings({ iceAddresses: ['10.0.0.5'], includeLoopback: true }));
  t.same([...plan.allowed!].sort(), ['10.0.0.5', '127.0.0.1']);
  t.ok(plan.additionalHostAddresses.includes('127.0.0.1'), 'loopback gathered explicitly');
  const sdp = rewriteLocalSdp(LOCAL, plan);
  t.match(sdp, / 10\.0\.0\.5 40000 typ host/);
  t.match(sdp, / 127\.0\.0\.1 40002 typ host/);
  t.notMatch(sdp, /172\.17\.0\.1/);
  t.match(sdp, /typ srflx/);
});

t.test('advertised address replaces non-loopback host addresses (1:1 NAT)', async (t) => {
  const plan = planIce(settings({ iceAddresses: ['10.0.0.5'], includeLoopback: true, advertisedAddress: '203.0.113.9' }));
  const sdp = rewriteLocalSdp(LOCAL, plan);
  t.match(sdp, / 203\.0\.113\.9 40000 typ host/);
  t.notMatch(sdp, / 10\.0\.0\.5 40000 typ host/);
  t.match(sdp, / 127\.0\.0\.1 40002 typ host/, 'loopback stays as is');
  t.match(sdp, /^c=IN IP4 203\.0\.113\.9$/m);
});

t.test('STUN and TURN servers map to werift ice servers', async (t) => {
  const plan = planIce(
    settings({
      stunServers: ['stun.example.org:3478', 'stun:stun2.example.org'],
      turnServers: [{ urls: 'turn:turn.example.org:3478?transport=udp', username: 'u', credential: 'p' }],
    }),
  );
  t.same(plan.iceServers, [
    { urls: 'stun:stun.example.org:3478' },
    { urls: 'stun:stun2.example.org' },
    { urls: 'turn:turn.example.org:3478?transport=udp', username: 'u', credential: 'p' },
  ]);
});

t.test('remote mDNS and TCP candidates are dropped before werift sees them', async (t) => {
  const remote = [
    'a=candidate:1 1 udp 2122260223 4f2a8c1e-1111-2222-3333-444455556666.local 51000 typ host generation 0',
    'a=candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active',
    'a=candidate:3 1 udp 2122260223 127.0.0.1 51002 typ host',
  ].join('\r\n');
  const out = usableRemoteSdp(remote);
  t.notMatch(out, /\.local/);
  t.notMatch(out, / tcp /);
  t.match(out, /127\.0\.0\.1 51002/);
});
