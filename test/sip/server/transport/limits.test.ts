/**
 * Stream connections cannot be held for free: one that sends nothing or half a header is closed at
 * the header deadline, a quiet one at the idle deadline, a source beyond its cap is refused at accept,
 * and a WebSocket handshake from a foreign Origin gets 403. UDP sockets get the configured buffers.
 */
import t from 'tap';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { freePort } from '../../../helpers/sipp.js';
import { nextMessage, options, startLayer } from './helpers.js';

function closed(sock: net.Socket, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('still open')), timeoutMs);
    sock.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('close', () => reject(new Error('refused')));
  });
  return s;
}

t.test('TCP: silent and half-header connections end at the header deadline; a working one stays', async (t) => {
  const port = await freePort();
  const layer = await startLayer(t, [`tcp:127.0.0.1:${port}`], { connections: { headerTimeoutMs: 400, idleTimeoutMs: 0 } });
  const silent = await connect(port);
  const half = await connect(port);
  half.write('OPTIONS sip:svc@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1');
  const good = await connect(port);
  t.teardown(() => {
    silent.destroy();
    half.destroy();
    good.destroy();
  });
  const got = nextMessage(layer);
  good.write(options('limits-1', 'SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-l1'));
  await got;
  const [a, b] = await Promise.all([closed(silent, 5000), closed(half, 5000)]);
  t.ok(a >= 300 && b >= 300, `closed after ${a} / ${b} ms`);
  t.equal(good.destroyed, false, 'the connection that sent a whole message is still open');
  t.equal(layer.connectionCount(), 1);
});

t.test('TCP: a message begun and never finished ends the connection; idle ones end at the idle deadline', async (t) => {
  const port = await freePort();
  const layer = await startLayer(t, [`tcp:127.0.0.1:${port}`], { connections: { headerTimeoutMs: 400, idleTimeoutMs: 1200 } });
  const slow = await connect(port);
  const idle = await connect(port);
  t.teardown(() => {
    slow.destroy();
    idle.destroy();
  });
  const got = nextMessage(layer);
  slow.write(options('limits-2', 'SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-l2') + 'OPTIONS sip:svc@127.0.0.1 SIP/2.0\r\n');
  await got;
  const got2 = nextMessage(layer);
  idle.write(options('limits-3', 'SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-l3'));
  await got2;
  const idleClosed = closed(idle, 5000);
  const ms = await closed(slow, 5000);
  t.ok(ms >= 300 && ms < 1200, `slow sender closed after ${ms} ms`);
  const idleMs = await idleClosed;
  t.ok(idleMs >= 1000, `idle connection closed after ${idleMs} ms`);
});

t.test('TCP: CRLF keep-alives keep a quiet connection open past the idle deadline', async (t) => {
  const port = await freePort();
  const layer = await startLayer(t, [`tcp:127.0.0.1:${port}`], { connections: { headerTimeoutMs: 400, idleTimeoutMs: 800 } });
  const phone = await connect(port);
  t.teardown(() => phone.destroy());
  const got = nextMessage(layer);
  phone.write(options('limits-5', 'SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-l5'));
  await got;
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 300));
    phone.write('\r\n\r\n');
  }
  t.equal(phone.destroyed, false, 'still open after 1.8 s of keep-alives with an 0.8 s idle deadline');
  t.equal(layer.connectionCount(), 1);
});

t.test('TCP: connections beyond the per-source cap are refused at accept', async (t) => {
  const port = await freePort();
  const layer = await startLayer(t, [`tcp:127.0.0.1:${port}`], { connections: { maxPerSource: 5, headerTimeoutMs: 0 } });
  const socks: net.Socket[] = [];
  t.teardown(() => {
    for (const s of socks) s.destroy();
  });
  let refused = 0;
  for (let i = 0; i < 8; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    socks.push(s);
  }
  await Promise.all(
    socks.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.once('close', () => {
            refused++;
            resolve();
          });
          setTimeout(resolve, 1000);
        }),
    ),
  );
  t.equal(refused, 3, '3 of 8 refused');
  t.equal(layer.connectionCount(), 5);
  // a slot frees when one closes
  socks[0]!.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const again = await connect(port);
  socks.push(again);
  const got = nextMessage(layer);
  again.write(options('limits-4', 'SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-l4'));
  t.ok(await got, 'a new connection works once a slot is free');
});

function wsOpen(url: string, origin?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['sip'], origin ? { origin } : {});
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => resolve(0));
  });
}

t.test('WebSocket: Origin checked against the allowed list', async (t) => {
  const p1 = await freePort();
  await startLayer(t, [`ws:127.0.0.1:${p1}`]);
  const url1 = `ws://127.0.0.1:${p1}`;
  t.equal(await wsOpen(url1), 101, 'no Origin (a SIP phone): accepted');
  t.equal(await wsOpen(url1, 'http://127.0.0.1:3000'), 101, 'a page on the same host: accepted');
  t.equal(await wsOpen(url1, 'https://evil.example'), 403, 'a foreign page: 403');
  const p2 = await freePort();
  await startLayer(t, [`ws:127.0.0.1:${p2}`], { connections: { wsAllowedOrigins: ['https://app.example.com'] } });
  const url2 = `ws://127.0.0.1:${p2}`;
  t.equal(await wsOpen(url2, 'https://app.example.com'), 101, 'listed origin accepted');
  t.equal(await wsOpen(url2, 'http://127.0.0.1:3000'), 403, 'unlisted origin refused even on the same host');
  const p3 = await freePort();
  await startLayer(t, [`ws:127.0.0.1:${p3}`], { connections: { wsAllowedOrigins: ['*'] } });
  t.equal(await wsOpen(`ws://127.0.0.1:${p3}`, 'https://anything.example'), 101, '"*" accepts any');
});

t.test('WebSocket: a handshake never completed ends at the header deadline', async (t) => {
  const port = await freePort();
  await startLayer(t, [`ws:127.0.0.1:${port}`], { connections: { headerTimeoutMs: 500 } });
  const s = await connect(port);
  t.teardown(() => s.destroy());
  s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const ms = await closed(s, 8000);
  t.ok(ms < 8000, `closed after ${ms} ms`);
});

t.test('UDP sockets get the configured receive buffer (ss -m)', async (t) => {
  const port = await freePort();
  await startLayer(t, [`udp:127.0.0.1:${port}`], { udpReceiveBufferBytes: 2 * 1024 * 1024 });
  const out = execFileSync('ss', ['-u', '-a', '-n', '-m', 'sport', '=', `:${port}`], { encoding: 'utf8' });
  const rb = Number(/rb(\d+)/.exec(out)?.[1]);
  t.ok(rb >= 2 * 1024 * 1024, `rb ${rb}`);
});
