import t from 'tap';
import dgram from 'node:dgram';
import pino from 'pino';
import { RtpSendPath } from '../../../media/endpoints/rtp-send-path.js';
import { socketFd, udpNative } from '../../../media/endpoints/udp-native.js';
import { until } from '../../helpers/wait.js';

const log = pino({ level: 'silent' });

interface Heard {
  data: Buffer;
  port: number;
}

async function udp(t: { teardown(fn: () => void): void }): Promise<{ sock: dgram.Socket; port: number; heard: Heard[] }> {
  const sock = dgram.createSocket('udp4');
  const heard: Heard[] = [];
  sock.on('message', (data, rinfo) => heard.push({ data, port: rinfo.port }));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  t.teardown(() => sock.close());
  return { sock, port: sock.address().port, heard };
}

t.test('the UDP send addon is built and loaded on Linux (npm run build builds it)', async (t) => {
  if (process.platform !== 'linux' || process.env.SWITCHBOARD_UDP_NATIVE === '0') {
    t.equal(udpNative, undefined, 'not on this platform or switched off: dgram only');
    return;
  }
  t.ok(udpNative, 'media/native/build/Release/media.node loads');
  const { sock } = await udp(t);
  t.ok(socketFd(sock) > 2, 'a bound dgram socket shows its descriptor');
  t.equal(socketFd(dgram.createSocket('udp4')), -1, 'an unbound socket has none');
});

/** The addon, which the first test proves is there. */
function addon(): NonNullable<typeof udpNative> {
  if (!udpNative) throw new Error('the UDP send addon is not built (npm run build:native)');
  return udpNative;
}

t.test('the addon checks what it is given and reports errors as -errno', async (t) => {
  const n = addon();
  const { sock } = await udp(t);
  const fd = socketFd(sock);
  t.throws(() => n.send(fd, 'x' as unknown as Buffer, null, null), TypeError, 'a string is not a Buffer');
  t.throws(() => n.send(fd, Buffer.from('x'), null, Buffer.alloc(3)), TypeError, 'an address not from sockaddr()');
  t.throws(() => n.send(-1, Buffer.from('x'), null, null), TypeError, 'no descriptor');
  t.ok(n.send(fd, Buffer.from('x'), null, null) < 0, 'no address on an unconnected socket: an errno, no throw');
  t.equal(n.sockaddr('not-an-ip', 5000), null, 'host names are left to dgram');
  t.equal(n.sockaddr('127.0.0.1', 70000), null, 'port out of range');
  t.equal(n.sockaddr('::1', 5000)?.length, 28, 'IPv6');
  const v6 = n.sockaddr('::1', 5000)!;
  t.ok(n.send(fd, Buffer.from('x'), null, v6) < 0, 'an IPv6 destination on an IPv4 socket: an errno, no throw');
});

t.test('sendBatch: several datagrams to one destination in one call', async (t) => {
  const n = addon();
  const rx = await udp(t);
  const { sock } = await udp(t);
  const to = n.sockaddr('127.0.0.1', rx.port);
  const sent = n.sendBatch(
    socketFd(sock),
    [1, 2, 3].map((i) => Buffer.from([i])),
    to,
  );
  t.equal(sent, 3);
  await until(() => rx.heard.length === 3);
  t.same(
    rx.heard.map((h) => h.data[0]),
    [1, 2, 3],
    'in order',
  );
});

for (const via of ['native', 'dgram'] as const) {
  t.test(`${via} path: by address, then connected to the latched peer, then by address again`, async (t) => {
    const rx = await udp(t);
    const other = await udp(t);
    const { sock, port } = await udp(t);
    const path = new RtpSendPath(sock, log, via === 'native' ? addon() : null);
    t.equal(path.via, via);
    const head = Buffer.from('HEAD');
    const peer = { address: '127.0.0.1', port: rx.port };
    path.send(head, Buffer.from('one'), peer);
    head.write('XXXX'); // the caller reuses its header at once: what was sent must not change
    await until(() => rx.heard.length === 1);
    t.equal(rx.heard[0].data.toString(), 'HEADone', 'header and payload in one datagram');
    t.equal(rx.heard[0].port, port, 'from the RTP port');

    path.pin(peer);
    path.send(Buffer.from('HEAD'), Buffer.from('two'), peer); // while connecting: held, then sent
    await until(() => path.pinned === peer && rx.heard.length === 2);
    path.send(Buffer.from('HEAD'), Buffer.from('three'), peer);
    await until(() => rx.heard.length === 3);
    t.same(
      rx.heard.map((h) => h.data.toString()),
      ['HEADone', 'HEADtwo', 'HEADthree'],
    );
    // Connected: only the peer is heard (another source's packets are not delivered to us).
    const stray = dgram.createSocket('udp4');
    t.teardown(() => stray.close());
    const heardByUs: string[] = [];
    sock.on('message', (m) => heardByUs.push(m.toString()));
    await new Promise<void>((r) => stray.send('stray', port, '127.0.0.1', () => r()));
    await new Promise<void>((r) => rx.sock.send('peer', port, '127.0.0.1', () => r()));
    await until(() => heardByUs.length === 1);
    t.same(heardByUs, ['peer'], 'a connected socket hears its peer only');

    path.unpin();
    t.equal(path.pinned, undefined);
    const elsewhere = { address: '127.0.0.1', port: other.port };
    path.send(Buffer.from('HEAD'), Buffer.from('four'), elsewhere);
    await until(() => other.heard.length === 1);
    t.equal(other.heard[0].data.toString(), 'HEADfour', 'unpinned: sends by address to anyone');

    path.close();
    path.send(Buffer.from('HEAD'), Buffer.from('five'), elsewhere);
    // A marker from the same socket to the same place, sent after: loopback keeps the order.
    sock.send('marker', other.port, '127.0.0.1');
    await until(() => other.heard.length >= 2);
    t.same(
      other.heard.map((h) => h.data.toString()),
      ['HEADfour', 'marker'],
      'closed: nothing more is sent',
    );
  });
}
