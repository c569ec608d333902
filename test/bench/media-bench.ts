/**
 * `npm run bench:media`: N concurrent bridged calls, PCMU 8 kHz on one leg and Opus 48 kHz on the
 * other, traffic sent and received by a separate process. For rising N it prints the CPU used,
 * packets lost and the p50/p99 added latency (packet into the media server -> transcoded packet
 * out), then pushes past the admission limit to show new calls refused while the admitted ones
 * keep their quality. Started with `--traffic` this file is that traffic process.
 */
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MediaOverloadError, MediaServer, type Endpoint, type MediaSession } from '../../media/index.js';
import { createEncoder, encodeMulaw } from '../../media/codecs/index.js';
import { benchCodecs } from './codec-bench.js';

const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 4000);
const SKIP_PACKETS = 10; // decoder/encoder creation and latching, not steady state

interface CallPorts { a: number; b: number }
interface StepResult { sent: number; received: number; lost: number; p50: number; p99: number; genCpuPct: number }
type ToGen = { cmd: 'run'; calls: CallPorts[]; durationMs: number };
type FromGen = { type: 'ready'; portA: number; portB: number } | { type: 'result'; result: StepResult };

// ---------------- traffic process ----------------

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function trafficMain(): Promise<void> {
  const sockA = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  const sockB = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  sockA.bind(0, '127.0.0.1');
  sockB.bind(0, '127.0.0.1');
  await Promise.all([once(sockA, 'listening'), once(sockB, 'listening')]);
  // One second of each tone, encoded once: the generator must not be the bottleneck.
  const mu: Buffer[] = [];
  const op: Buffer[] = [];
  const enc = createEncoder({ name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 }, { pcmRate: 48000 });
  for (let f = 0; f < 50; f++) {
    const n8 = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (f * 160 + i)) / 8000)));
    const n48 = new Int16Array(960).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (f * 960 + i)) / 48000)));
    mu.push(encodeMulaw(n8));
    op.push(enc.encode(n48));
  }
  enc.close();
  process.send?.({ type: 'ready', portA: sockA.address().port, portB: sockB.address().port } satisfies FromGen);

  // Sequence numbers and timestamps continue across runs on the same calls, as a real sender's do.
  let nextSeq = 0;
  process.on('message', (m: ToGen) => {
    if (m.cmd !== 'run') return;
    const seq0 = nextSeq;
    const calls = m.calls;
    const frames = Math.floor(m.durationMs / 20);
    const sendAt = calls.map(() => [new Float64Array(frames), new Float64Array(frames)]);
    const recvCount = calls.map(() => [0, 0]);
    const byA = new Map<number, number>(calls.map((c, i) => [c.a, i]));
    const byB = new Map<number, number>(calls.map((c, i) => [c.b, i]));
    const lat: number[] = [];
    let received = 0;
    const onRecv = (dir: 0 | 1, index: Map<number, number>) => (msg: Buffer, r: dgram.RemoteInfo): void => {
      const i = index.get(r.port);
      if (i === undefined || msg.length < 12) return;
      const k = recvCount[i][dir]++;
      received++;
      if (k >= SKIP_PACKETS && k < frames) lat.push(performance.now() - sendAt[i][dir][k]);
    };
    // dir 0: PCMU leg -> Opus leg (arrives on sockB from endpoint b); dir 1: the other way.
    const recvB = onRecv(0, byB);
    const recvA = onRecv(1, byA);
    sockB.on('message', recvB);
    sockA.on('message', recvA);
    const hdr = (pt: number, seq: number, ts: number, ssrc: number): Buffer => {
      const h = Buffer.allocUnsafe(12);
      h[0] = 0x80; h[1] = pt;
      h.writeUInt16BE(seq & 0xffff, 2); h.writeUInt32BE(ts >>> 0, 4); h.writeUInt32BE(ssrc, 8);
      return h;
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let f = 0;
    const tick = (): void => {
      if (f >= frames) {
        setTimeout(finish, 400);
        return;
      }
      for (let i = 0; i < calls.length; i++) {
        const now = performance.now();
        sendAt[i][0][f] = now;
        const n = seq0 + f;
        sockA.send(Buffer.concat([hdr(0, n, n * 160, 1000 + i), mu[f % 50]]), calls[i].a, '127.0.0.1');
        sendAt[i][1][f] = now;
        sockB.send(Buffer.concat([hdr(111, n, n * 960, 5000 + i), op[f % 50]]), calls[i].b, '127.0.0.1');
      }
      f++;
      setTimeout(tick, Math.max(0, t0 + f * 20 - performance.now()));
    };
    nextSeq = seq0 + frames + 50;
    const finish = (): void => {
      sockA.off('message', recvA);
      sockB.off('message', recvB);
      const cpu = process.cpuUsage(cpu0);
      const sorted = Float64Array.from(lat).sort();
      const sent = calls.length * frames * 2;
      const result: StepResult = {
        sent, received, lost: Math.max(0, sent - received),
        p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99),
        genCpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100,
      };
      process.send?.({ type: 'result', result } satisfies FromGen);
    };
    tick();
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------- bench driver ----------------

function offer(port: number, codec: 'PCMU' | 'opus'): string {
  const m = codec === 'PCMU'
    ? [`m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000']
    : [`m=audio ${port} RTP/AVP 111`, 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 useinbandfec=1'];
  return ['v=0', 'o=gen 1 1 IN IP4 127.0.0.1', 's=gen', 'c=IN IP4 127.0.0.1', 't=0 0', ...m, 'a=sendrecv', ''].join('\r\n');
}

const portOf = (sdp: string): number => Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);

interface Call { session: MediaSession; ports: CallPorts }

async function openCalls(ms: MediaServer, n: number, gen: { portA: number; portB: number }): Promise<{ calls: Call[]; refused: number }> {
  const calls: Call[] = [];
  let refused = 0;
  for (let i = 0; i < n; i++) {
    let session: MediaSession;
    try {
      session = await ms.createSession();
    } catch (err) {
      if (err instanceof MediaOverloadError) { refused++; continue; }
      throw err;
    }
    const a: Endpoint = await session.createEndpoint('rtp');
    const b: Endpoint = await session.createEndpoint('rtp');
    const pa = portOf(await a.answer(offer(gen.portA, 'PCMU')));
    const pb = portOf(await b.answer(offer(gen.portB, 'opus')));
    await session.bridge(a, b);
    calls.push({ session, ports: { a: pa, b: pb } });
  }
  return { calls, refused };
}

function run(gen: ReturnType<typeof fork>, calls: CallPorts[]): Promise<StepResult> {
  return new Promise((resolve) => {
    const onMsg = (m: FromGen): void => {
      if (m.type !== 'result') return;
      gen.off('message', onMsg);
      resolve(m.result);
    };
    gen.on('message', onMsg);
    gen.send({ cmd: 'run', calls, durationMs: RUN_MS } satisfies ToGen);
  });
}

const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '-');

async function benchMain(): Promise<void> {
  const workers = Number(process.env.BENCH_WORKERS ?? availableParallelism());
  const steps = (process.env.BENCH_STEPS ?? '10,25,50,75,100,150,200').split(',').map(Number).filter((n) => n > 0);
  console.log(`media bench: ${workers} worker(s), ${RUN_MS} ms per step`);
  console.log('\nper-frame codec cost (µs / 20 ms frame):');
  for (const [k, v] of Object.entries(await benchCodecs())) console.log(`  ${k.padEnd(18)} ${fmt(v, 1)}`);

  const gen = fork(fileURLToPath(import.meta.url), ['--traffic'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ready] = (await once(gen, 'message')) as [FromGen];
  if (ready.type !== 'ready') throw new Error('traffic process failed');
  const rtp = { address: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: 40000, portMax: 49999 };
  // Rising N: admission limits out of the way (the load guards still apply), so the server's own
  // capacity shows.
  const ms = new MediaServer({ workers, rtp, maxCallsPerWorker: 100000 });
  await ms.start();
  let best = 0;
  let bestCpuPct = 0;
  try {
    console.log('\n calls | media CPU % (of one core) | gen CPU % | sent     | lost  | p50 ms | p99 ms | refused');
    for (const n of steps) {
      const { calls, refused } = await openCalls(ms, n, ready);
      await new Promise((r) => setTimeout(r, 300));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await run(gen, calls.map((c) => c.ports));
      const cpu = process.cpuUsage(cpu0);
      const cpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
      console.log(` ${String(n).padStart(5)} | ${fmt(cpuPct).padStart(25)} | ${fmt(r.genCpuPct).padStart(9)} | ${String(r.sent).padStart(8)} | ${String(r.lost).padStart(5)} | ${fmt(r.p50, 2).padStart(6)} | ${fmt(r.p99, 2).padStart(6)} | ${refused}`);
      await Promise.all(calls.map((c) => c.session.close()));
      await new Promise((r) => setTimeout(r, 1000)); // let the workers' load reports settle
      if (r.lost === 0 && r.p99 < 20 && refused === 0) {
        best = n;
        bestCpuPct = cpuPct;
      } else break;
    }
    console.log(`\nlargest N with zero loss and p99 < 20 ms: ${best} calls on ${workers} worker(s) = ${fmt(best / workers, 0)} per core`);
    // The traffic generator shares this machine's cores, so also say what one core of media CPU carries.
    if (best > 0) console.log(`media CPU at that N: ${fmt(bestCpuPct)}% of one core = ${fmt(best / (bestCpuPct / 100), 0)} calls per core of CPU`);
  } finally {
    await ms.close();
  }

  // Past the limit: the admission limit set at the measured capacity, and 30% more calls asked for.
  const perWorker = Number(process.env.BENCH_MAX_CALLS ?? Math.max(5, Math.floor(best / workers)));
  const limit = workers * perWorker;
  const attempt = Math.ceil(limit * 1.3);
  const guarded = new MediaServer({ workers, rtp, maxCallsPerWorker: perWorker });
  await guarded.start();
  try {
    console.log(`\noverload: asking for ${attempt} calls with an admission limit of ${perWorker} per worker (${limit})`);
    const { calls, refused } = await openCalls(guarded, attempt, ready);
    // Fresh workers: one run to warm the JIT and the codecs, then the measured one.
    await run(gen, calls.map((c) => c.ports));
    const r = await run(gen, calls.map((c) => c.ports));
    console.log(`  admitted ${calls.length}, refused ${refused} (MediaOverloadError -> SIP 503 Retry-After)`);
    console.log(`  admitted calls: sent ${r.sent}, lost ${r.lost}, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms`);
    await Promise.all(calls.map((c) => c.session.close()));
  } finally {
    await guarded.close();
    gen.kill();
  }
}

if (process.argv[2] === '--traffic') void trafficMain();
else benchMain().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
