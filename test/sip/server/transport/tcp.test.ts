import t, { type Test as Tap } from 'tap';
import { until } from '../../../helpers/wait.js';
import net from 'node:net';
import { once } from 'node:events';
import { nextMessage, options, readStreamMessages, startLayer } from './helpers.js';
import { parseMessage } from '../../../../sip/server/parser.js';
import { SipResponse } from '../../../../sip/server/message.js';

async function connect(t: Tap, port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  t.teardown(() => {
    s.destroy();
  });
  await once(s, 'connect');
  return s;
}

const tcpOptions = (id: string): string => options(id, `SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-${id}`);

t.test('a message split across chunks and two messages in one chunk', async (t) => {
  const layer = await startLayer(t, ['tcp:127.0.0.1:0']);
  const port = layer.listening()[0]!.port;
  const sock = await connect(t, port);
  const got: [string, string | undefined][] = [];
  layer.on('message', (m, i) => got.push([m.callId, i.connectionId]));
  const a = Buffer.from(tcpOptions('split-1'));
  // the test: the message arrives in pieces, apart in time
  sock.write(a.subarray(0, 10));
  await new Promise((r) => setTimeout(r, 30));
  sock.write(a.subarray(10, 100));
  await new Promise((r) => setTimeout(r, 30));
  t.equal(got.length, 0, 'nothing before the message is complete');
  const withBody = tcpOptions('two-2').replace('Content-Length: 0', 'Content-Length: 4') + 'body';
  sock.write(Buffer.concat([a.subarray(100), Buffer.from(withBody + tcpOptions('two-3'))]));
  await until(() => got.length >= 3, { timeoutMs: 5000 });
  t.same(
    got.map((g) => g[0]),
    ['split-1', 'two-2', 'two-3'],
  );
  t.ok(got[0]![1], 'has a connectionId');
  t.ok(
    got.every((g) => g[1] === got[0]![1]),
    'connectionId stable on one connection',
  );
});

t.test('responses go back on the same connection; keep-alive ping gets a pong', async (t) => {
  const layer = await startLayer(t, ['tcp:127.0.0.1:0']);
  const sock = await connect(t, layer.listening()[0]!.port);
  const got = nextMessage(layer);
  sock.write(tcpOptions('reply-1'));
  const [req, info] = await got;
  t.equal(info.remote.transport, 'tcp');
  t.equal(info.remote.port, sock.localPort);
  t.equal(req.get('via'), `SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-reply-1;rport=${sock.localPort}`);
  const res = new SipResponse(200, 'OK');
  for (const n of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) res.append(n, req.get(n)!);
  const wire = readStreamMessages(sock, 1);
  // by connection id, with a deliberately wrong address: the id wins
  await layer.send(res, { transport: 'tcp', host: '127.0.0.1', port: 1, connectionId: info.connectionId! });
  const [text] = await wire;
  t.equal((parseMessage(text!) as SipResponse).status, 200);
  const pong = once(sock, 'data');
  sock.write('\r\n\r\n');
  t.equal(String((await pong)[0]), '\r\n');
  // and by remote address when no id is given
  const again = readStreamMessages(sock, 1);
  await layer.send(res, { transport: 'tcp', host: '127.0.0.1', port: sock.localPort! });
  t.equal((parseMessage((await again)[0]!) as SipResponse).callId, 'reply-1');
});

t.test('a malformed request over TCP gets 400 and the connection stays usable', async (t) => {
  const layer = await startLayer(t, ['tcp:127.0.0.1:0']);
  const sock = await connect(t, layer.listening()[0]!.port);
  const answer = readStreamMessages(sock, 1);
  sock.write(tcpOptions('bad-tcp').replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'));
  const res = parseMessage((await answer)[0]!) as SipResponse;
  t.equal(res.status, 400);
  t.equal(res.callId, 'bad-tcp');
  const got = nextMessage(layer);
  sock.write(tcpOptions('good-after'));
  t.equal((await got)[0].callId, 'good-after');
});

t.test('framing errors close the connection and fire connection-closed', async (t) => {
  // a short linger: the close is what is checked here, not the 32 s it waits by default
  const layer = await startLayer(t, ['tcp:127.0.0.1:0'], { maxMessageSize: 2048, connections: { framingLingerMs: 100 } });
  const sock = await connect(t, layer.listening()[0]!.port);
  const closedEvt = once(layer, 'connection-closed');
  const peerClosed = once(sock, 'close');
  sock.write(tcpOptions('no-cl').replace('Content-Length: 0\r\n', ''));
  const [{ connectionId, remote }] = await closedEvt;
  t.ok(connectionId);
  t.same(remote, { transport: 'tcp', host: '127.0.0.1', port: sock.localPort });
  await peerClosed;
  const sock2 = await connect(t, layer.listening()[0]!.port);
  const closed2 = once(sock2, 'close');
  sock2.write('OPTIONS sip:x SIP/2.0\r\n' + 'X-Pad: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n'.repeat(100));
  await closed2;
  t.pass('oversize header block closed the connection');
});

t.test('connects out on demand and reuses the connection, both directions', async (t) => {
  const a = await startLayer(t, ['tcp:127.0.0.1:0']);
  const b = await startLayer(t, ['tcp:127.0.0.1:0']);
  const bAddr = b.listening()[0]!;
  const got = nextMessage(b);
  const sent = await a.send(parseMessage(tcpOptions('out-1')), { ...bAddr });
  const [m1, i1] = await got;
  t.equal(m1.callId, 'out-1');
  t.equal(i1.remote.port, sent.local.port, 'local address reported by send is the one the peer saw');
  // b answers over the connection a opened
  const back = nextMessage(a);
  await b.send(parseMessage(tcpOptions('back-1')), { ...i1.remote, connectionId: i1.connectionId! });
  const [m2, i2] = await back;
  t.equal(m2.callId, 'back-1');
  // a's next send reuses the same connection
  const got3 = nextMessage(b);
  await a.send(parseMessage(tcpOptions('out-2')), { ...bAddr });
  t.equal((await got3)[1].connectionId, i1.connectionId);
  const closed = once(a, 'connection-closed');
  await b.close();
  t.equal((await closed)[0].connectionId, i2.connectionId);
});

t.test('sending to a TCP port where nothing listens rejects', async (t) => {
  const layer = await startLayer(t, ['tcp:127.0.0.1:0']);
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  await t.rejects(layer.send(parseMessage(tcpOptions('dead')), { transport: 'tcp', host: '127.0.0.1', port: deadPort }), {
    code: 'ECONNREFUSED',
  });
  await t.rejects(
    layer.send(parseMessage(tcpOptions('dead')), { transport: 'ws', host: '127.0.0.1', port: deadPort }),
    /no ws connection/,
  );
});
