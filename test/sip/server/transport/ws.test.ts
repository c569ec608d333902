import t, { type Test } from 'tap';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { nextMessage, options, startLayer } from './helpers.js';
import { parseMessage } from '../../../../sip/server/parser.js';
import { SipResponse } from '../../../../sip/server/message.js';

const wsOptions = (id: string): string => options(id, `SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK-${id}`);

async function open(t: Test, url: string, protocols?: string | string[]): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols);
  t.teardown(() => ws.terminate());
  await once(ws, 'open');
  return ws;
}

t.test('SIP over WebSocket with subprotocol sip: text and binary messages, replies, close event', async (t) => {
  const layer = await startLayer(t, ['ws:127.0.0.1:0']);
  const local = layer.listening()[0]!;
  t.equal(local.transport, 'ws');
  const ws = await open(t, `ws://127.0.0.1:${local.port}`, 'sip');
  t.equal(ws.protocol, 'sip');
  const got = nextMessage(layer);
  ws.send(wsOptions('ws-1'));
  const [req, info] = await got;
  t.equal(req.callId, 'ws-1');
  t.equal(info.remote.transport, 'ws');
  t.ok(info.connectionId);
  t.match(req.get('via')!, /^SIP\/2\.0\/WS df7jal23ls0d\.invalid;branch=z9hG4bK-ws-1;rport=\d+;received=127\.0\.0\.1$/);
  const got2 = nextMessage(layer);
  ws.send(Buffer.from(wsOptions('ws-bin')), { binary: true });
  const [req2, info2] = await got2;
  t.equal(req2.callId, 'ws-bin');
  t.equal(info2.connectionId, info.connectionId);

  const res = new SipResponse(200, 'OK');
  for (const n of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) res.append(n, req.get(n)!);
  const frame = once(ws, 'message');
  await layer.send(res, { ...info.remote, connectionId: info.connectionId! });
  const [data, isBinary] = await frame;
  t.equal(isBinary, false, 'sent as a text frame');
  t.equal((parseMessage(String(data)) as SipResponse).status, 200);

  const closed = once(layer, 'connection-closed');
  ws.close();
  const [evt] = await closed;
  t.equal(evt.connectionId, info.connectionId);
  await t.rejects(layer.send(res, { ...info.remote, connectionId: info.connectionId! }), /no ws connection/);
});

t.test('a malformed request over WS gets 400 on the same socket', async (t) => {
  const layer = await startLayer(t, ['ws:127.0.0.1:0']);
  const ws = await open(t, `ws://127.0.0.1:${layer.listening()[0]!.port}`, ['sip']);
  const frame = once(ws, 'message');
  ws.send(wsOptions('ws-bad').replace('Call-ID: ws-bad', 'Call-ID: ws-bad\r\nCall-ID: again'));
  const res = parseMessage(String((await frame)[0])) as SipResponse;
  t.equal(res.status, 400);
  t.match(res.reason, /more than one Call-ID/);
});

t.test('connections without the sip subprotocol are refused', async (t) => {
  const layer = await startLayer(t, ['ws:127.0.0.1:0']);
  const url = `ws://127.0.0.1:${layer.listening()[0]!.port}`;
  for (const protocols of [undefined, 'chat', ['xmpp', 'mqtt']]) {
    const ws = new WebSocket(url, protocols);
    t.teardown(() => ws.terminate());
    const [err] = await once(ws, 'error');
    t.match(String(err), /Unexpected server response: 400/, `protocols ${JSON.stringify(protocols)}`);
  }
  let delivered = 0;
  layer.on('message', () => delivered++);
  t.equal(delivered, 0);
  const res = await fetch(url.replace('ws:', 'http:'));
  t.equal(res.status, 426, 'plain HTTP is told to upgrade');
});

t.test('a browser that stops answering pings is dropped; a live one stays', { timeout: 5000 }, async (t) => {
  const layer = await startLayer(t, ['ws:127.0.0.1:0'], { wsPingIntervalMs: 100 });
  const port = layer.listening()[0]!.port;
  const live = await open(t, `ws://127.0.0.1:${port}`, 'sip');
  // a "vanished" client: completes the handshake, then never reads or answers anything
  const { connect } = await import('node:net');
  const mute = connect(port, '127.0.0.1');
  t.teardown(() => {
    mute.destroy();
  });
  await once(mute, 'connect');
  mute.write(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n',
  );
  const [head] = await once(mute, 'data');
  t.match(String(head), /^HTTP\/1.1 101 .*\r\n[\s\S]*Sec-WebSocket-Protocol: sip/i);
  mute.pause();
  const t0 = Date.now();
  const [evt] = await once(layer, 'connection-closed');
  t.equal(evt.remote.port, mute.localPort, 'the mute client was the one dropped');
  t.ok(Date.now() - t0 < 1000, `dropped after ${Date.now() - t0} ms`);
  await new Promise((r) => setTimeout(r, 300)); // the test: the answering client outlives the drop
  t.equal(live.readyState, WebSocket.OPEN, 'the answering client is still connected');
  const got = nextMessage(layer);
  live.send(wsOptions('still-here'));
  t.equal((await got)[0].callId, 'still-here');
});

t.test('close() does not wait for idle HTTP keep-alive sockets or live WebSockets', { timeout: 5000 }, async (t) => {
  const layer = await startLayer(t, ['ws:127.0.0.1:0', 'tcp:127.0.0.1:0']);
  const [wsAddr, tcpAddr] = layer.listening();
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const status = await new Promise<number>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: wsAddr!.port, agent, headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
  t.equal(status, 426);
  const ws = await open(t, `ws://127.0.0.1:${wsAddr!.port}`, 'sip');
  const { connect } = await import('node:net');
  const tcp = connect(tcpAddr!.port, '127.0.0.1');
  t.teardown(() => {
    tcp.destroy();
  });
  await once(tcp, 'connect');
  const wsClosed = once(ws, 'close');
  const t0 = Date.now();
  await layer.close();
  t.ok(Date.now() - t0 < 1000, `closed in ${Date.now() - t0} ms`);
  await wsClosed;
  await t.rejects(layer.send(parseMessage(wsOptions('late')), { transport: 'udp', host: '127.0.0.1', port: 9 }), /closed/);
});
