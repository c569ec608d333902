import t from 'tap';
import { until } from '../../../helpers/wait.js';
import type { Test } from 'tap';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { nextMessage, options, startLayer } from './helpers.js';
import { parseMessage } from '../../../../sip/server/parser.js';
import { SipRequest, SipResponse } from '../../../../sip/server/message.js';
import { MALFORMED } from '../syntax/malformed.js';

async function udpPeer(
  t: Test,
  host = '127.0.0.1',
): Promise<{ sock: dgram.Socket; port: number; inbox: Buffer[]; froms: number[]; next: (ms?: number) => Promise<Buffer> }> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  t.teardown(() => {
    try {
      sock.close();
    } catch {
      /* already closed */
    }
  });
  const inbox: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  const froms: number[] = [];
  sock.on('message', (m, rinfo) => {
    froms.push(rinfo.port);
    const w = waiters.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  sock.bind(0, host);
  await once(sock, 'listening');
  const next = (ms = 3000): Promise<Buffer> => {
    const b = inbox.shift();
    if (b) return Promise.resolve(b);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no datagram')), ms);
      waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  };
  return { sock, port: sock.address().port, inbox, froms, next };
}

t.test('a request arrives parsed, with rport stamped like drachtio-server does', async (t) => {
  const layer = await startLayer(t, ['udp:127.0.0.1:0']);
  const [local] = layer.listening();
  t.equal(local!.transport, 'udp');
  t.ok(local!.port > 0);
  const peer = await udpPeer(t);
  const raw = options('udp-1');
  const got = nextMessage(layer);
  peer.sock.send(raw, local!.port, '127.0.0.1');
  const [msg, info] = await got;
  t.ok(msg instanceof SipRequest);
  t.equal(msg.get('via'), `SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-udp-1;rport=${peer.port}`);
  t.same(info.remote, { transport: 'udp', host: '127.0.0.1', port: peer.port });
  t.same(info.local, local);
  t.equal(info.bytes, Buffer.byteLength(raw));
  t.equal(info.connectionId, undefined);
});

t.test('empty rport is filled in place; received= added when the sent-by is not the source', async (t) => {
  const layer = await startLayer(t, ['udp:127.0.0.1:0']);
  const peer = await udpPeer(t);
  const got = nextMessage(layer);
  peer.sock.send(
    options('udp-2', 'SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK-x, SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK-y'),
    layer.listening()[0]!.port,
    '127.0.0.1',
  );
  const [msg] = await got;
  t.equal(
    msg.get('via'),
    `SIP/2.0/UDP 192.0.2.10:5060;rport=${peer.port};branch=z9hG4bK-x;received=127.0.0.1, SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK-y`,
  );
});

t.test('send() puts a response on the wire from the listening socket', async (t) => {
  const layer = await startLayer(t, ['udp:127.0.0.1:0']);
  const peer = await udpPeer(t);
  const got = nextMessage(layer);
  peer.sock.send(options('udp-3'), layer.listening()[0]!.port, '127.0.0.1');
  const [req, info] = await got;
  const res = new SipResponse(200, 'OK');
  for (const n of ['via', 'from', 'to', 'call-id', 'cseq'])
    res.append(n === 'call-id' ? 'Call-ID' : n[0]!.toUpperCase() + n.slice(1), req.get(n)!);
  const sent = await layer.send(res, info.remote);
  t.same(sent.local, layer.listening()[0]);
  const wire = await peer.next();
  t.same(wire, sent.bytes, 'exactly the bytes reported');
  const back = parseMessage(wire) as SipResponse;
  t.equal(back.status, 200);
  t.equal(back.get('content-length'), '0');
});

t.test('a garbage request gets 400 on the wire, naming the problem', async (t) => {
  const layer = await startLayer(t, ['udp:127.0.0.1:0']);
  const peer = await udpPeer(t);
  let delivered = 0;
  layer.on('message', () => delivered++);
  peer.sock.send(options('udp-400').replace('Max-Forwards: 70', 'Max-Forwards: lots'), layer.listening()[0]!.port, '127.0.0.1');
  const res = parseMessage(await peer.next()) as SipResponse;
  t.equal(res.status, 400);
  t.equal(res.reason, 'Bad Request (malformed Max-Forwards)');
  t.equal(res.get('call-id'), 'udp-400');
  t.equal(res.get('cseq'), '1 OPTIONS');
  t.equal(res.get('from'), '"Probe" <sip:probe@127.0.0.1>;tag=p1');
  t.match(res.get('to')!, /^<sip:svc@127.0.0.1>;tag=\w+$/);
  t.equal(res.get('via'), `SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-udp-400;rport=${peer.port}`);
  t.equal(delivered, 0);
});

t.test(`${MALFORMED.length} malformed datagrams in a row, then a good OPTIONS still arrives`, async (t) => {
  const layer = await startLayer(t, ['udp:127.0.0.1:0']);
  const port = layer.listening()[0]!.port;
  const peer = await udpPeer(t);
  const delivered: string[] = [];
  layer.on('message', (m) => delivered.push(m.callId));
  for (const c of MALFORMED) {
    if (c.raw.length === 0) continue; // an empty datagram carries nothing at all
    peer.sock.send(c.raw, port, '127.0.0.1');
  }
  peer.sock.send('\r\n\r\n', port, '127.0.0.1'); // keep-alive: dropped silently
  peer.sock.send('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n', port, '127.0.0.1'); // malformed response: dropped
  const got = nextMessage(layer);
  peer.sock.send(options('after-garbage'), port, '127.0.0.1');
  const [msg] = await got;
  t.equal(msg.callId, 'after-garbage');
  t.same(delivered, ['after-garbage'], 'nothing malformed was delivered');
  // every answerable case got exactly one 4xx/5xx back, the rest nothing
  const expectedAnswers = MALFORMED.filter((c) => c.answerable && c.raw.length > 0).length;
  await until(() => peer.inbox.length >= expectedAnswers, { timeoutMs: 5000 });
  // read the status line only: a 400 echoes a broken Via as it came, which a strict parser refuses
  const statuses = peer.inbox.map((b) => Number(/^SIP\/2\.0 (\d{3}) /.exec(b.toString('latin1'))?.[1]));
  const expected = MALFORMED.filter((c) => c.answerable && c.raw.length > 0).length;
  t.equal(statuses.length, expected, `${expected} answers`);
  t.ok(statuses.every((s) => s === 400 || s === 505));
});

t.test('IPv6 listener', async (t) => {
  const layer = await startLayer(t, ['udp:[::1]:0']);
  const local = layer.listening()[0]!;
  t.equal(local.host, '::1');
  const peer = await udpPeer(t, '::1');
  const got = nextMessage(layer);
  peer.sock.send(options('v6', 'SIP/2.0/UDP [::1]:5070;branch=z9hG4bK-v6;rport'), local.port, '::1');
  const [msg, info] = await got;
  t.equal(info.remote.host, '::1');
  t.equal(msg.get('via'), `SIP/2.0/UDP [::1]:5070;branch=z9hG4bK-v6;rport=${peer.port}`);
  await layer.send(msg, { transport: 'udp', host: '[::1]', port: peer.port });
  t.equal((parseMessage(await peer.next()) as SipRequest).method, 'OPTIONS');
});

t.test('sending to a UDP target with no UDP listener uses an ephemeral socket', async (t) => {
  const layer = await startLayer(t, ['tcp:127.0.0.1:0']);
  const peer = await udpPeer(t);
  const req = parseMessage(options('eph'));
  const sent = await layer.send(req, { transport: 'udp', host: '127.0.0.1', port: peer.port });
  t.ok(sent.local.port > 0);
  t.equal(parseMessage(await peer.next()).callId, 'eph');
});

t.test('requests leave from the listening port and replies come back through the layer', async (t) => {
  const layer = await startLayer(t, ['udp:127.0.0.1:0']);
  const local = layer.listening()[0]!;
  const peer = await udpPeer(t);
  const sent = await layer.send(parseMessage(options('out-udp')), { transport: 'udp', host: '127.0.0.1', port: peer.port });
  t.same(sent.local, local);
  const got = nextMessage(layer);
  const req = await peer.next();
  t.equal(parseMessage(req).callId, 'out-udp');
  const res = new SipResponse(200, 'OK');
  for (const n of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) res.append(n, parseMessage(req).get(n)!);
  peer.sock.send(
    Buffer.from(`SIP/2.0 200 OK\r\n${res.headers.map((h) => `${h.name}: ${h.value}`).join('\r\n')}\r\nContent-Length: 0\r\n\r\n`),
    local.port,
    '127.0.0.1',
  );
  const [msg, info] = await got;
  t.ok(msg instanceof SipResponse);
  t.equal(info.remote.port, peer.port);
  t.same(info.local, local);
  t.same(peer.froms, [local.port], 'the request came from the listening port');
  // and a fresh peer can still reach the listener while the connected socket exists
  const other = await udpPeer(t);
  const got2 = nextMessage(layer);
  other.sock.send(options('other-peer'), local.port, '127.0.0.1');
  t.equal((await got2)[0].callId, 'other-peer');
});

t.test('ICMP port unreachable makes sends to that destination reject', async (t) => {
  const layer = await startLayer(t, ['udp:127.0.0.1:0']);
  const dead = await udpPeer(t);
  const deadPort = dead.port;
  dead.sock.close();
  const req = parseMessage(options('icmp'));
  // on loopback the ICMP error is back before the first send settles (as with drachtio-server, a3 #24)
  await t.rejects(layer.send(req, { transport: 'udp', host: '127.0.0.1', port: deadPort }), /unreachable \(ECONNREFUSED\)/);
  await t.rejects(layer.send(req, { transport: 'udp', host: '127.0.0.1', port: deadPort }), /unreachable \(ECONNREFUSED\)/);
  // responses are not affected, and other destinations still work
  const live = await udpPeer(t);
  await layer.send(req, { transport: 'udp', host: '127.0.0.1', port: live.port });
  t.equal(parseMessage(await live.next()).callId, 'icmp');
});

t.test('a UDP port already taken is reported, not silently shared', async (t) => {
  const first = await startLayer(t, ['udp:127.0.0.1:0']);
  const port = first.listening()[0]!.port;
  await t.rejects(startLayer(t, [`udp:127.0.0.1:${port}`]), { code: 'EADDRINUSE' });
  const other = await udpPeer(t);
  await t.rejects(startLayer(t, [`udp:127.0.0.1:${other.port}`]), { code: 'EADDRINUSE' });
});

t.test('a dual-stack [::] listener serves IPv4 and IPv6 peers from one port', async (t) => {
  const layer = await startLayer(t, ['udp:[::]:0']);
  const local = layer.listening()[0]!;
  t.equal(local.host, '::');
  for (const host of ['127.0.0.1', '::1']) {
    const peer = await udpPeer(t, host);
    const got = nextMessage(layer);
    peer.sock.send(options(`ds-${host}`), local.port, host);
    const [msg, info] = await got;
    t.equal(info.remote.host, host, `remote seen as plain ${host}`);
    await layer.send(msg, { transport: 'udp', host, port: peer.port });
    t.equal(parseMessage(await peer.next()).callId, `ds-${host}`, `request back to ${host}`);
    t.same(peer.froms, [local.port], 'sent from the listening port');
  }
});
