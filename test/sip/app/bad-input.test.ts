import t from 'tap';
import { startStack } from './harness.js';
import { UdpUa, buildRequest } from './udp-ua.js';

t.test('odd REGISTERs and INVITEs get 4xx answers and the application keeps working', async (t) => {
  const stack = await startStack(t);
  stack.app.on('call', (c) => c.reject(486));
  const ua = new UdpUa();
  await ua.open();
  t.teardown(() => ua.close());
  let n = 0;
  const send = async (method: string, h: Record<string, string>): Promise<number> => {
    n++;
    const base = {
      From: `<sip:alice@switchboard.test>;tag=b${n}`,
      To: '<sip:alice@switchboard.test>',
      'Call-ID': `bad-${n}`,
      CSeq: `1 ${method}`,
    };
    const res = await ua.request(buildRequest(method, 'sip:alice@switchboard.test', ua, { ...base, ...h }), stack.udpPort);
    if (method === 'INVITE' && res.status >= 300) {
      ua.request(buildRequest('ACK', 'sip:alice@switchboard.test', ua, { ...base, CSeq: '1 ACK' }), stack.udpPort, 200).catch(
        () => undefined,
      );
    }
    return res.status;
  };
  const cases: [string, Record<string, string>, number[]][] = [
    ['REGISTER', { Authorization: 'Digest' }, [403]],
    [
      'REGISTER',
      { Authorization: 'Digest username="alice", realm="switchboard.test", nonce="x", uri="sip:a", response="00"' },
      [401],
    ],
    [
      'REGISTER',
      { Authorization: 'Digest username="alice", nonce="1.2.3", uri="sip:a", response="zz", algorithm=SHA-512' },
      [403],
    ],
    ['REGISTER', { Authorization: 'NTLM abc' }, [403]],
    ['REGISTER', { To: '<tel:+1555>' }, [400]],
    ['REGISTER', { To: '<sip:switchboard.test>' }, [400]],
    ['INVITE', { 'Proxy-Authorization': 'Digest username=', Contact: '<sip:x@127.0.0.1>' }, [403]],
    [
      'INVITE',
      {
        'Proxy-Authorization':
          'Digest username="alice", realm="switchboard.test", nonce="mwt.abc.def", uri="sip:a", response="1", qop=auth',
        Contact: '<sip:x@127.0.0.1>',
      },
      [407],
    ],
  ];
  for (const [method, h, want] of cases) {
    const status = await send(method, h);
    t.ok(want.includes(status), `${method} ${JSON.stringify(h)} -> ${status}`);
  }
  // Still alive: a fresh REGISTER gets its challenge.
  t.equal(await send('REGISTER', { Contact: `<sip:alice@127.0.0.1:${ua.port}>` }), 401);
});
