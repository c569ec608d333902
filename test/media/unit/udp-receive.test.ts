/**
 * The native batch receiver (media/native/udp-recv.c through udp-receive.ts): real sockets on
 * loopback, datagrams sent by another socket and read back through the receiver. What a media
 * worker relies on: every socket's datagrams reach its own sink, in order, with the source as dgram
 * would report it; oversized datagrams are dropped; a removed socket hears nothing more, even when
 * removed in the middle of a batch; a throwing sink does not cost the rest of the batch; the
 * connected socket's ICMP error does not stop reading; and RTP endpoints carry audio both through
 * the receiver and through dgram.
 */
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { BatchReceiver, batchReceiver, type DatagramSink } from '../../../media/endpoints/udp-receive.js';
import { socketFd, udpNative, type UdpNative } from '../../../media/endpoints/udp-native.js';
import type { NetAddress } from '../../../media/endpoints/rtp-latch.js';
import { RtpEndpoint } from '../../../media/endpoints/rtp-endpoint.js';
import { Bridge } from '../../../media/bridge.js';
import { PortAllocator } from '../../../media/port-allocator.js';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { rtpEndpointContext } from '../../helpers/rtp-endpoint-ctx.js';
import { peerOffer } from '../engine/peer-sdp.js';
import { peakFrequency } from './spectrum.js';
import type { CodecSpec } from '../../../media/types.js';
import { sleep, untilOrThrow } from '../../helpers/wait.js';

const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };

async function bound(type: 'udp4' | 'udp6' = 'udp4'): Promise<dgram.Socket> {
  const s = dgram.createSocket(type);
  s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1');
  await once(s, 'listening');
  return s;
}

function collector(): { got: Array<{ data: string; from: NetAddress }>; sink: DatagramSink } {
  const got: Array<{ data: string; from: NetAddress }> = [];
  return { got, sink: (msg, from) => got.push({ data: msg.toString(), from }) };
}

/** A receiver and sockets, all closed when the test ends (the receiver first, as endpoints remove before closing). */
function fixture(t: Test, native: UdpNative) {
  const rx = new BatchReceiver(native);
  const socks: dgram.Socket[] = [];
  t.teardown(() => {
    rx.close();
    for (const s of socks) {
      try {
        s.close();
      } catch {
        // closed by the test itself
      }
    }
  });
  const sock = async (type: 'udp4' | 'udp6' = 'udp4'): Promise<dgram.Socket> => {
    const s = await bound(type);
    socks.push(s);
    return s;
  };
  return { rx, sock, socks: (n: number) => Promise.all(Array.from({ length: n }, () => sock())) };
}

function send(from: dgram.Socket, to: dgram.Socket, text: string | Buffer): Promise<void> {
  const { port, address } = to.address();
  return new Promise((resolve, reject) => from.send(text, port, address, (err) => (err ? reject(err) : resolve())));
}

if (!udpNative) {
  t.fail('the media addon is not built (npm run build:native): the batch receiver cannot be tested');
} else {
  const native = udpNative;

  t.test('each socket hears its own datagrams, in order, with the sender as source', async (t) => {
    const { rx, sock, socks } = fixture(t, native);
    const [a, b, tx] = await socks(3);
    const ca = collector();
    const cb = collector();
    const ra = rx.add(a, ca.sink);
    const rb = rx.add(b, cb.sink);
    t.ok(ra && rb, 'both sockets registered');
    let dgramHeard = 0;
    a.on('message', () => dgramHeard++);
    for (let i = 0; i < 50; i++) {
      await send(tx, a, `a${i}`);
      await send(tx, b, `b${i}`);
    }
    await untilOrThrow('100 datagrams', () => ca.got.length === 50 && cb.got.length === 50);
    t.same(
      ca.got.map((g) => g.data),
      Array.from({ length: 50 }, (_, i) => `a${i}`),
    );
    t.same(
      cb.got.map((g) => g.data),
      Array.from({ length: 50 }, (_, i) => `b${i}`),
    );
    t.same(ca.got[0].from, { address: '127.0.0.1', port: tx.address().port }, 'source as dgram reports it');
    t.equal(ca.got[0].from, ca.got[49].from, 'one NetAddress object while the source stays');
    t.equal(dgramHeard, 0, "dgram's own reading is stopped");
    const other = await sock();
    await send(other, a, 'from elsewhere');
    await untilOrThrow('the 51st datagram', () => ca.got.length === 51);
    t.same(ca.got[50].from, { address: '127.0.0.1', port: other.address().port }, 'a new source is a new address');
  });

  t.test('IPv6 sources are formatted as dgram formats them', async (t) => {
    const { rx, sock } = fixture(t, native);
    let s: dgram.Socket;
    let tx: dgram.Socket;
    try {
      [s, tx] = [await sock('udp6'), await sock('udp6')];
    } catch {
      t.comment('no IPv6 loopback here');
      return;
    }
    const c = collector();
    rx.add(s, c.sink);
    await send(tx, s, 'v6');
    await untilOrThrow('the datagram', () => c.got.length === 1);
    t.same(c.got[0].from, { address: '::1', port: tx.address().port });
  });

  t.test('empty and oversized datagrams: empty ones arrive, those beyond a slot are dropped', async (t) => {
    const { rx, socks } = fixture(t, native);
    const [s, tx] = await socks(2);
    const lengths: number[] = [];
    rx.add(s, (msg) => lengths.push(msg.length));
    await send(tx, s, Buffer.alloc(0));
    await send(tx, s, Buffer.alloc(3000, 1));
    await send(tx, s, Buffer.alloc(2048, 2));
    await send(tx, s, Buffer.alloc(172, 3));
    await untilOrThrow('three datagrams', () => lengths.length === 3);
    t.same(lengths, [0, 2048, 172], 'the 3000-byte datagram is dropped, the rest kept whole');
  });

  t.test('a socket removed in the middle of a batch hears nothing more; its id is reused safely', async (t) => {
    const { rx, sock, socks } = fixture(t, native);
    const [a, b, tx] = await socks(3);
    const heardA: string[] = [];
    const cb = collector();
    rx.add(b, cb.sink);
    const ra = rx.add(a, (msg) => {
      heardA.push(msg.toString());
      // Removed and closed from inside the batch, as an endpoint closing on a packet would be.
      ra?.remove();
      a.close();
    });
    // Queue several datagrams on both before the loop reads them: one batch holds them all.
    for (let i = 0; i < 5; i++) {
      tx.send(`a${i}`, a.address().port, '127.0.0.1');
      tx.send(`b${i}`, b.address().port, '127.0.0.1');
    }
    await untilOrThrow("b's five datagrams", () => cb.got.length === 5);
    t.same(heardA, ['a0'], 'the removed socket got only the datagram it was removed on');
    const c = await sock();
    const cc = collector();
    const rc = rx.add(c, cc.sink);
    t.ok(rc, 'a new socket registers after the removal');
    await send(tx, c, 'c0');
    await send(tx, b, 'b5');
    await untilOrThrow('c0 and b5', () => cc.got.length === 1 && cb.got.length === 6);
    t.same(
      cc.got.map((g) => g.data),
      ['c0'],
      'the new socket hears only its own',
    );
  });

  t.test('a sink that throws costs neither the rest of the batch nor later datagrams', async (t) => {
    const { rx, socks } = fixture(t, native);
    const [a, b, tx] = await socks(3);
    const cb = collector();
    rx.add(a, () => {
      throw new Error('sink failed');
    });
    rx.add(b, cb.sink);
    const errors: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      errors.push(err);
    };
    process.on('uncaughtException', onUncaught);
    t.teardown(() => {
      process.off('uncaughtException', onUncaught);
    });
    tx.send('a', a.address().port, '127.0.0.1');
    tx.send('b0', b.address().port, '127.0.0.1');
    tx.send('b1', b.address().port, '127.0.0.1');
    await untilOrThrow('both b datagrams and the error', () => cb.got.length === 2 && errors.length === 1);
    t.match((errors[0] as Error).message, 'sink failed', 'the error is not swallowed');
    await send(tx, b, 'b2');
    await untilOrThrow('b2', () => cb.got.length === 3);
  });

  t.test("a connected socket's ICMP port-unreachable does not stop it reading", async (t) => {
    const { rx, socks } = fixture(t, native);
    const [s, gone] = await socks(2);
    const gonePort = gone.address().port;
    gone.close();
    s.connect(gonePort, '127.0.0.1');
    await once(s, 'connect');
    const c = collector();
    rx.add(s, c.sink);
    // A send to the closed port comes back as ECONNREFUSED on the next read.
    native.send(socketFd(s), Buffer.from('x'), null, null);
    // The error is consumed by a read: left pending, the epoll set would report it again and again
    // (EPOLLERR is level-triggered) and this thread would spin.
    await sleep(50);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(300);
    const cpu = process.cpuUsage(cpu0);
    const busy = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
    t.ok(busy < 0.5, `the thread is idle after the error (${(busy * 100).toFixed(0)}% of a core)`);
    // The peer comes back on its port: the connected socket hears it again.
    const tx = dgram.createSocket('udp4');
    t.teardown(() => tx.close());
    tx.bind(gonePort, '127.0.0.1');
    await once(tx, 'listening');
    await send(tx, s, 'after the error');
    await untilOrThrow('the datagram after the error', () => c.got.length === 1);
    t.equal(c.got[0].data, 'after the error');
  });

  t.test('more ready datagrams than the ring holds are all delivered, over several batches', async (t) => {
    const { rx, sock, socks } = fixture(t, native);
    const many = await socks(40);
    const tx = await sock();
    const counts = new Array<number>(many.length).fill(0);
    for (const [i, s] of many.entries()) rx.add(s, () => counts[i]++);
    // 40 sockets x 10 = 400 datagrams queued at once: more than the 256 slots of one batch.
    for (let r = 0; r < 10; r++) for (const s of many) tx.send(Buffer.alloc(160), s.address().port, '127.0.0.1');
    await untilOrThrow('400 datagrams', () => counts.every((c) => c === 10));
    t.same(counts, new Array(many.length).fill(10));
  });

  t.test('RTP endpoints bridged through the batch receiver and through dgram carry the same audio', async (t) => {
    for (const receiver of [batchReceiver(), null]) {
      const base = 45000 + Math.floor(Math.random() * 1000) * 2;
      const ports = new PortAllocator(base, base + 20);
      const a = new RtpEndpoint(rtpEndpointContext('a', ports), { receiver });
      const b = new RtpEndpoint(rtpEndpointContext('b', ports), { receiver });
      const [pa, pb] = await Promise.all([RtpPeer.start(), RtpPeer.start()]);
      await a.answer(peerOffer(pa.port, 'PCMU'));
      await b.answer(peerOffer(pb.port, 'opus'));
      const bridge = new Bridge(a, b);
      await pa.send({ remote: { address: '127.0.0.1', port: a.port }, codec: PCMU, toneHz: 1000, durationMs: 600 });
      const rb = await pb.reportWhen((r) => r.packets.length >= 28, {
        decodeAs: { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 },
        pcmRate: 48000,
      });
      const heard = Int16Array.from(rb.pcm.slice(48000 * 0.1));
      const label = receiver ? 'batch receiver' : 'dgram';
      t.ok(
        Math.abs(peakFrequency(heard, 48000, 200, 4000) - 1000) <= 20,
        `${label}: 1 kHz crosses the PCMU -> Opus bridge (${rb.packets.length} packets)`,
      );
      bridge.close();
      a.close();
      b.close();
      pa.close();
      pb.close();
    }
  });
}
