/**
 * The browsers of the WebRTC benchmark, in a process of their own: N werift clients that offer,
 * connect, send pre-encoded speech-like Opus every 20 ms and note when each packet left and
 * arrived. In a process apart, their SRTP, ICE and RTCP work is not counted as the media server's
 * CPU, and they keep their own pace when the server falls behind.
 *
 * Driven by the parent over the IPC channel (see ClientRequest); exits when the parent goes.
 */
import { createEncoder } from '../../media/codecs/index.js';
import { WeriftClient } from '../media/webrtc/werift-client.js';
import { speechLike } from './codec-bench.js';

export type ClientRequest =
  | { op: 'open'; calls: number }
  | { op: 'accept'; index: number; answer: string }
  | { op: 'reopen'; index: number }
  | { op: 'connect' }
  | { op: 'run'; frames: number; startAt: number }
  | { op: 'close' };

export type ClientReply =
  | { op: 'offers'; offers: string[] }
  | { op: 'offer'; offer: string }
  | { op: 'accepted' }
  | { op: 'connected' }
  | { op: 'result'; sentAt: number[][]; receivedAt: number[][]; cpuUs: number; windowMs: number }
  | { op: 'closed' }
  | { op: 'error'; message: string };

/** Wall-clock milliseconds shared by both processes (timeOrigin is the process's start on the epoch). */
export const epochMs = (): number => performance.timeOrigin + performance.now();

const OPUS = { name: 'opus' as const, payloadType: 111, clockRate: 48000, channels: 2 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let clients: WeriftClient[] = [];

/**
 * What a browser sends: narrowband when our SDP said maxplaybackrate=8000 (Chrome honours it),
 * unless BENCH_OPUS_WIDEBAND=1 stands in for one that does not.
 */
function opusFrames(): Buffer[] {
  const rate = process.env.BENCH_OPUS_WIDEBAND === '1' ? 48000 : 8000;
  const enc = createEncoder(OPUS, { pcmRate: rate });
  const frames = speechLike(rate, 100).map((x) => enc.encode(x));
  enc.close();
  return frames;
}

async function run(frames: number, startAt: number): Promise<ClientReply> {
  const payloads = opusFrames();
  const sentAt = clients.map(() => [] as number[]);
  const receivedAt = clients.map(() => [] as number[]);
  clients.forEach((c, i) => {
    c.onPacket = (p) => {
      if (p.payloadType === 111) receivedAt[i].push(epochMs());
    };
  });
  await sleep(Math.max(0, startAt - epochMs()));
  const cpu0 = process.cpuUsage();
  const t0 = epochMs();
  for (let n = 0; n < frames; n++) {
    const payload = payloads[n % payloads.length];
    for (let i = 0; i < clients.length; i++) {
      sentAt[i].push(epochMs());
      clients[i].sendOpus(payload);
    }
    const wait = startAt + (n + 1) * 20 - epochMs();
    if (wait > 0) await sleep(wait);
  }
  const cpu = process.cpuUsage(cpu0);
  const windowMs = epochMs() - t0;
  // The server's last packets are still on their way.
  await sleep(500);
  for (const c of clients) c.onPacket = undefined;
  return { op: 'result', sentAt, receivedAt, cpuUs: cpu.user + cpu.system, windowMs };
}

async function handle(req: ClientRequest): Promise<ClientReply> {
  switch (req.op) {
    case 'open': {
      clients = Array.from({ length: req.calls }, () => new WeriftClient());
      return { op: 'offers', offers: await Promise.all(clients.map((c) => c.offer())) };
    }
    case 'accept':
      // At once, one call at a time: the server's ICE checks start as soon as it has answered.
      await clients[req.index].accept(req.answer);
      return { op: 'accepted' };
    case 'reopen': {
      // The server gave up on this one's ICE (it happens on a loaded machine): a new client.
      await clients[req.index].close();
      clients[req.index] = new WeriftClient();
      return { op: 'offer', offer: await clients[req.index].offer() };
    }
    case 'connect':
      await Promise.all(clients.map((c) => c.connected(30000)));
      return { op: 'connected' };
    case 'run':
      return run(req.frames, req.startAt);
    case 'close': {
      await Promise.all(clients.map((c) => c.close()));
      clients = [];
      return { op: 'closed' };
    }
  }
}

process.on('message', (req: ClientRequest) => {
  handle(req).then(
    (reply) => process.send?.(reply),
    (err: unknown) => process.send?.({ op: 'error', message: String(err) } satisfies ClientReply),
  );
});
process.on('disconnect', () => process.exit(0));
