import t from 'tap';
import { until } from '../../helpers/wait.js';
import { DigestClient, pickChallenge } from '../../../sip/digest.js';
import { startStack, type Stack } from './harness.js';
import { UdpUa, buildRequest, buildResponse, header } from './udp-ua.js';

async function failureStatus(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { status?: number }).status;
  }
}

const SDP = [
  'v=0',
  'o=x 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

/** Registers `ua` for `user` with a Contact that claims an unreachable address: only the source flow reaches it. */
async function registerBehindNat(stack: Stack, ua: UdpUa, user: string, password: string, fakePort: number): Promise<void> {
  const base = {
    From: `<sip:${user}@switchboard.test>;tag=r${ua.port}`,
    To: `<sip:${user}@switchboard.test>`,
    'Call-ID': `reg-${ua.port}`,
    Contact: `<sip:${user}@192.0.2.77:${fakePort}>`,
    Expires: '300',
  };
  const c = await ua.request(
    buildRequest('REGISTER', 'sip:switchboard.test', ua, { ...base, CSeq: '1 REGISTER' }),
    stack.udpPort,
  );
  const auth = new DigestClient({ username: user, password }).authorize(
    pickChallenge(header(c, 'WWW-Authenticate'))!,
    'REGISTER',
    'sip:switchboard.test',
  );
  const ok = await ua.request(
    buildRequest('REGISTER', 'sip:switchboard.test', ua, { ...base, CSeq: '2 REGISTER', Authorization: auth }),
    stack.udpPort,
  );
  if (ok.status !== 200) throw new Error(`REGISTER ${ok.status}`);
}

t.test('dial a registered user behind NAT: INVITE goes to the REGISTER source, not the Contact address', async (t) => {
  const stack = await startStack(t);
  const ua = new UdpUa();
  await ua.open();
  t.teardown(() => ua.close());
  await registerBehindNat(stack, ua, 'bob', 'bob-pw', 5999);
  ua.onRequest = (raw, send) => {
    if (raw.startsWith('INVITE')) {
      send(buildResponse(raw, 180, 'Ringing', { toTag: 'b1' }));
      setTimeout(
        () => send(buildResponse(raw, 200, 'OK', { toTag: 'b1', contact: `<sip:bob@127.0.0.1:${ua.port}>`, body: SDP })),
        50,
      );
    } else if (raw.startsWith('BYE') || raw.startsWith('INFO')) {
      send(buildResponse(raw, 200, 'OK'));
    }
  };
  const progress: number[] = [];
  const call = stack.app.dial(
    { user: 'bob' },
    { sdp: SDP, from: { user: 'alice', displayName: 'Alice' }, onProgress: (s) => progress.push(s) },
  );
  const leg = await call.leg;
  t.same(progress, [180]);
  t.match(leg.remoteSdp, /m=audio 40000/);
  const invite = ua.requests.find((r) => r.startsWith('INVITE'))!;
  t.match(invite, /^INVITE sip:bob@192\.0\.2\.77:5999 SIP\/2\.0/, 'Request-URI is the registered Contact');
  t.match(invite, /\r\nFrom: "Alice" <sip:alice@/);
  await until(() => ua.requests.some((r) => r.startsWith('ACK')));
  t.ok(
    ua.requests.some((r) => r.startsWith('ACK')),
    'ACK reached the phone',
  );
  // Our re-offer (hold) and DTMF by INFO travel in the dialog to the phone.
  const held = ua.onRequest;
  ua.onRequest = (raw, send) => {
    if (raw.startsWith('INVITE'))
      send(
        buildResponse(raw, 200, 'OK', {
          toTag: 'b1',
          contact: `<sip:bob@127.0.0.1:${ua.port}>`,
          body: SDP.replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 PCMU/8000\r\na=recvonly'),
        }),
      );
    else held?.(raw, send);
  };
  const answer = await leg.reinvite(SDP.replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 PCMU/8000\r\na=sendonly'));
  t.match(answer, /a=recvonly/);
  const reinvite = ua.requests.filter((r) => r.startsWith('INVITE'))[1] ?? '';
  t.match(reinvite, /a=sendonly/);
  await leg.sendDtmf('7', 120);
  const info = ua.requests.find((r) => r.startsWith('INFO')) ?? '';
  t.match(info, /Content-Type: application\/dtmf-relay/i);
  t.match(info, /Signal=7\r\nDuration=120/);
  await leg.hangup();
  await until(() => ua.requests.some((r) => r.startsWith('BYE')));
  t.ok(
    ua.requests.some((r) => r.startsWith('BYE')),
    'BYE reached the phone',
  );
});

t.test('dial a user with two phones: both ring, the first to answer wins, the other gets CANCEL', async (t) => {
  const stack = await startStack(t);
  const slow = new UdpUa();
  const fast = new UdpUa();
  await slow.open();
  await fast.open();
  t.teardown(() => {
    slow.close();
    fast.close();
  });
  await registerBehindNat(stack, slow, 'bob', 'bob-pw', 6001);
  await registerBehindNat(stack, fast, 'bob', 'bob-pw', 6002);
  let slowInvite = '';
  slow.onRequest = (raw, send) => {
    if (raw.startsWith('INVITE')) {
      slowInvite = raw;
      send(buildResponse(raw, 180, 'Ringing', { toTag: 's1' }));
    }
    if (raw.startsWith('CANCEL')) {
      send(buildResponse(raw, 200, 'OK', { toTag: 's1' }));
      send(buildResponse(slowInvite, 487, 'Request Terminated', { toTag: 's1' }));
    }
  };
  fast.onRequest = (raw, send) => {
    if (raw.startsWith('INVITE'))
      setTimeout(
        () => send(buildResponse(raw, 200, 'OK', { toTag: 'f1', contact: `<sip:bob@127.0.0.1:${fast.port}>`, body: SDP })),
        150,
      );
    if (raw.startsWith('BYE')) send(buildResponse(raw, 200, 'OK'));
  };
  const leg = await stack.app.dial({ user: 'bob' }, { sdp: SDP }).leg;
  t.ok(leg.callId);
  await until(() => slow.requests.some((r) => r.startsWith('CANCEL')));
  t.ok(
    slow.requests.some((r) => r.startsWith('INVITE')),
    'slow phone rang',
  );
  t.ok(
    slow.requests.some((r) => r.startsWith('CANCEL')),
    'slow phone got CANCEL',
  );
  t.notOk(
    fast.requests.some((r) => r.startsWith('CANCEL')),
    'the winner was not cancelled',
  );
  await leg.hangup();
});

t.test('dial: unregistered user 480, busy everywhere 486, unknown trunk 404, cancel gives 487', async (t) => {
  const stack = await startStack(t);
  t.equal(await failureStatus(stack.app.dial({ user: 'alice' }, { sdp: SDP }).leg), 480);
  t.equal(await failureStatus(stack.app.dial({ trunk: 'nope', number: '1' }, { sdp: SDP }).leg), 404);
  const ua = new UdpUa();
  await ua.open();
  t.teardown(() => ua.close());
  await registerBehindNat(stack, ua, 'bob', 'bob-pw', 6003);
  let mode: 'busy' | 'ring' = 'busy';
  let inviteRaw = '';
  ua.onRequest = (raw, send) => {
    if (raw.startsWith('INVITE')) {
      inviteRaw = raw;
      send(
        mode === 'busy'
          ? buildResponse(raw, 486, 'Busy Here', { toTag: 'x' })
          : buildResponse(raw, 180, 'Ringing', { toTag: 'y' }),
      );
    }
    if (raw.startsWith('CANCEL')) {
      send(buildResponse(raw, 200, 'OK', { toTag: 'y' }));
      send(buildResponse(inviteRaw, 487, 'Request Terminated', { toTag: 'y' }));
    }
  };
  t.equal(await failureStatus(stack.app.dial({ user: 'bob' }, { sdp: SDP }).leg), 486);
  mode = 'ring';
  const progress: number[] = [];
  const call = stack.app.dial({ user: 'bob' }, { sdp: SDP, onProgress: (s) => progress.push(s) });
  await until(() => progress.length > 0);
  t.same(progress, [180]);
  call.cancel();
  t.equal(await failureStatus(call.leg), 487);
  t.ok(ua.requests.some((r) => r.startsWith('CANCEL')));
});

t.test('dial a plain URI with custom headers', async (t) => {
  const stack = await startStack(t);
  const ua = new UdpUa();
  await ua.open();
  t.teardown(() => ua.close());
  ua.onRequest = (raw, send) => {
    if (raw.startsWith('INVITE'))
      send(buildResponse(raw, 200, 'OK', { toTag: 'u1', contact: `<sip:svc@127.0.0.1:${ua.port}>`, body: SDP }));
    if (raw.startsWith('BYE')) send(buildResponse(raw, 200, 'OK'));
  };
  const leg = await stack.app.dial(
    { uri: `sip:svc@127.0.0.1:${ua.port}` },
    { sdp: SDP, headers: { 'X-Call-Ref': 'abc123' }, from: { user: '1000' } },
  ).leg;
  const invite = ua.requests.find((r) => r.startsWith('INVITE')) ?? '';
  t.match(invite, new RegExp(`^INVITE sip:svc@127\\.0\\.0\\.1:${ua.port} SIP/2\\.0`));
  t.match(invite, /\r\nX-Call-Ref: abc123\r\n/);
  t.match(invite, /\r\nFrom: <sip:1000@127\.0\.0\.1/);
  t.ok(leg.callId);
  await leg.hangup();
});
