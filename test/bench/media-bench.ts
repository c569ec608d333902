/**
 * `npm run bench:media`: N concurrent bridged calls, PCMU 8 kHz on one leg and Opus on the other,
 * carrying a speech-like signal. The far ends are a small C program (rtp-traffic.c, built here
 * with the system's cc) so that the generator's cost stays small and flat with N. Each step runs
 * BENCH_RUN_MS (default 10 s) and prints, over exactly the traffic window: media CPU (this
 * process: main thread and workers), calls per core of that CPU, generator CPU, loss, p50/p99/max
 * added latency, and how far N is toward the codec-bound limit computed from the measured
 * per-frame codec costs. The fixed cost at N = 0 is measured first. Then it pushes past the
 * admission limit to show new calls refused while the admitted ones keep their quality.
 */
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MediaOverloadError, MediaServer, type Endpoint, type MediaSession } from '../../media/index.js';
import { createEncoder, encodeMulaw } from '../../media/codecs/index.js';
import { benchCodecs, callCodecCost, speechLike } from './codec-bench.js';

const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 10000);
/**
 * BENCH_OPUS_FEC=1: the Opus far ends ask for in-band FEC (useinbandfec=1, as browsers do), so our
 * encoder adds it. Without it they do not, as an RTP peer that does not signal it (RFC 7587 default).
 */
const OPUS_FEC = process.env.BENCH_OPUS_FEC === '1';
/**
 * Our answer to the Opus far end carries maxplaybackrate=8000 (RFC 7587), as the call layer's does
 * for a leg bridged to G.711: a far end that honours it (browsers do) sends narrowband SILK.
 * BENCH_OPUS_WIDEBAND=1: a far end that ignores it and sends what a 48 kHz encoder makes of speech.
 */
const OPUS_WIDEBAND = process.env.BENCH_OPUS_WIDEBAND === '1';
const here = dirname(fileURLToPath(import.meta.url));
// The C source lives beside this file's TypeScript source (dist/test/bench -> test/bench).
const GENERATOR_SRC = join(here, '..', '..', '..', 'test', 'bench', 'rtp-traffic.c');

interface CallPorts {
  a: number;
  b: number;
}
interface StepResult {
  sent: number;
  received: number;
  lost: number;
  p50: number;
  p99: number;
  max: number;
  /** Generator CPU over its traffic window, % of one core. */
  genCpuPct: number;
  /** This process's CPU (media main thread + workers) over the same window, % of one core. */
  mediaCpuPct: number;
  /** The kernel's part of it (socket calls; on loopback a send also delivers to the receiver). */
  mediaSysPct: number;
}

/** The C traffic generator, driven line by line over its stdin/stdout. */
class TrafficGenerator {
  readonly portA: number;
  readonly portB: number;
  private constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
    private readonly lines: AsyncIterator<string>,
    ports: [number, number],
  ) {
    [this.portA, this.portB] = ports;
  }

  static async start(dir: string): Promise<TrafficGenerator> {
    const bin = join(dir, 'rtp-traffic');
    execFileSync('cc', ['-O2', '-o', bin, GENERATOR_SRC]);
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = (await lines.next()).value as string;
    const m = /^ready (\d+) (\d+)/.exec(first ?? '');
    if (!m) throw new Error(`traffic generator did not start: ${first}`);
    const gen = new TrafficGenerator(child, lines, [Number(m[1]), Number(m[2])]);
    // Two seconds of speech-like audio per leg, encoded once: the generator only stamps headers.
    const pcm8 = speechLike(8000, 100);
    const opusRate = OPUS_WIDEBAND ? 48000 : 8000;
    const pcmOpus = opusRate === 8000 ? pcm8 : speechLike(48000, 100);
    const enc = createEncoder({ name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 }, { pcmRate: opusRate });
    const file = join(dir, 'payloads.bin');
    writeFileSync(file, Buffer.concat([pack(pcm8.map(encodeMulaw)), pack(pcmOpus.map((x) => enc.encode(x)))]));
    enc.close();
    child.stdin.write(`payloads ${file}\n`);
    return gen;
  }

  /** One traffic window; media CPU is read when the generator says its last frame is over. */
  async run(calls: CallPorts[], durationMs: number): Promise<StepResult> {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    this.child.stdin.write(`run ${durationMs} ${calls.length} ${calls.map((c) => `${c.a} ${c.b}`).join(' ')}\n`);
    const done = (await this.lines.next()).value as string;
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    if (done !== 'done') throw new Error(`traffic generator: ${done}`);
    const res = ((await this.lines.next()).value as string).split(' ');
    const [sent, received, p50, p99, max, genCpuUs, genWindowUs] = res.slice(1).map(Number);
    return {
      sent,
      received,
      lost: Math.max(0, sent - received),
      p50,
      p99,
      max,
      genCpuPct: (genCpuUs / genWindowUs) * 100,
      mediaCpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      mediaSysPct: (cpu.system / 1000 / wallMs) * 100,
    };
  }

  close(): void {
    this.child.stdin.end('quit\n');
    this.child.kill();
  }
}

function pack(payloads: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0].writeUInt32LE(payloads.length);
  for (const p of payloads) {
    const len = Buffer.alloc(2);
    len.writeUInt16LE(p.length);
    parts.push(len, p);
  }
  return Buffer.concat(parts);
}

function offer(port: number, codec: 'PCMU' | 'opus'): string {
  const m =
    codec === 'PCMU'
      ? [`m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000']
      : [`m=audio ${port} RTP/AVP 111`, 'a=rtpmap:111 opus/48000/2', ...(OPUS_FEC ? ['a=fmtp:111 useinbandfec=1'] : [])];
  return ['v=0', 'o=gen 1 1 IN IP4 127.0.0.1', 's=gen', 'c=IN IP4 127.0.0.1', 't=0 0', ...m, 'a=sendrecv', ''].join('\r\n');
}

const portOf = (sdp: string): number => Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);

interface Call {
  session: MediaSession;
  ports: CallPorts;
}

async function openCalls(ms: MediaServer, n: number, gen: TrafficGenerator): Promise<{ calls: Call[]; refused: number }> {
  const calls: Call[] = [];
  let refused = 0;
  for (let i = 0; i < n; i++) {
    let session: MediaSession;
    try {
      session = await ms.createSession();
    } catch (err) {
      if (err instanceof MediaOverloadError) {
        refused++;
        continue;
      }
      throw err;
    }
    const a: Endpoint = await session.createEndpoint('rtp');
    const b: Endpoint = await session.createEndpoint('rtp');
    const pa = portOf(await a.answer(offer(gen.portA, 'PCMU')));
    const answerB = await b.answer(offer(gen.portB, 'opus'), { maxPlaybackRate: 8000 });
    if (!/^a=fmtp:111 .*maxplaybackrate=8000/m.test(answerB)) throw new Error(`no maxplaybackrate in ${answerB}`);
    const pb = portOf(answerB);
    await session.bridge(a, b);
    calls.push({ session, ports: { a: pa, b: pb } });
  }
  return { calls, refused };
}

const fmt = (x: number, d = 1): string => (Number.isFinite(x) && x >= 0 ? x.toFixed(d) : '-');
const load = (): string => loadavg()[0].toFixed(1);

async function benchMain(): Promise<void> {
  const workers = Number(process.env.BENCH_WORKERS ?? availableParallelism());
  const steps = (process.env.BENCH_STEPS ?? '10,25,50,75,100,150,200')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  console.log(
    `media bench: ${workers} worker(s), ${RUN_MS} ms per step, Opus far ends ${OPUS_FEC ? 'ask for' : 'without'} in-band FEC and send ${OPUS_WIDEBAND ? 'wideband (ignoring our maxplaybackrate=8000)' : 'narrowband (honouring our maxplaybackrate=8000)'}, ${availableParallelism()} CPUs, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const codec = await benchCodecs();
  console.log('\nper-frame codec cost (µs / 20 ms frame):');
  for (const [k, v] of Object.entries(codec)) console.log(`  ${k.padEnd(18)} ${fmt(v, 1)}`);
  // A PCMU <-> Opus call runs the Opus side at 8 kHz: per 20 ms, both directions' decode + encode.
  const opusEncode = OPUS_FEC ? codec['opus encode 8k FEC'] : codec['opus encode 8k'];
  const opusDecode = OPUS_WIDEBAND ? codec['opus decode 8k'] : codec['opus decode 8k of 8k'];
  const perCallUs = codec['PCMU decode'] + opusEncode + opusDecode + codec['PCMU encode'];
  const codecCallsPerCore = 20000 / perCallUs;
  const codecLimit = codecCallsPerCore * workers;
  console.log(
    `codec work per call: ${fmt(perCallUs)} µs per 20 ms -> codec-bound limit ${fmt(codecCallsPerCore, 0)} calls per core, ${fmt(codecLimit, 0)} on ${workers} worker(s)`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'media-bench-'));
  const gen = await TrafficGenerator.start(dir);
  const rtp = { address: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: 40000, portMax: 49999 };
  // Rising N: admission limits out of the way (the load guards still apply), so the server's own
  // capacity shows.
  const ms = new MediaServer({ workers, rtp, maxCallsPerWorker: 100000 });
  await ms.start();
  let best = 0;
  let bestCpuPct = 0;
  let failed = false;
  try {
    const idle = await gen.run([], RUN_MS);
    console.log(
      `\nfixed cost at N = 0: media ${fmt(idle.mediaCpuPct, 2)}% of one core (generator ${fmt(idle.genCpuPct, 2)}%), load ${load()}`,
    );
    console.log(
      '\n calls | media CPU % | kernel % | carried calls/core | gen CPU % | sent    | lost  | p50 ms | p99 ms | max ms | codec-bound reached | codec µs now | codec % of CPU | load | refused',
    );
    for (const n of steps) {
      const { calls, refused } = await openCalls(ms, n, gen);
      // One second of traffic first, unmeasured: codecs are made on a leg's first packet, latching
      // takes a few, and the step's new objects meet their first garbage collections.
      await gen.run(
        calls.map((c) => c.ports),
        1000,
      );
      const r = await gen.run(
        calls.map((c) => c.ports),
        RUN_MS,
      );
      // Calls actually carried: a starved worker that drops packets spends no CPU on them, so
      // dividing all N by its CPU would flatter it.
      const carried = n * (r.sent > 0 ? r.received / r.sent : 0);
      const perCore = carried / (r.mediaCpuPct / 100);
      // The codec work per call measured again right after the step: the share of our CPU that was
      // codec work holds however fast the machine happened to be during the step.
      const codecNow = callCodecCost({ fec: OPUS_FEC, wideband: OPUS_WIDEBAND });
      const codecShare = (carried * codecNow) / 20000 / (r.mediaCpuPct / 100);
      console.log(
        ` ${String(n).padStart(5)} | ${fmt(r.mediaCpuPct).padStart(11)} | ${fmt(r.mediaSysPct).padStart(8)} | ${fmt(perCore, 0).padStart(18)} | ${fmt(r.genCpuPct).padStart(9)} | ${String(r.sent).padStart(7)} | ${String(r.lost).padStart(5)} | ${fmt(r.p50, 2).padStart(6)} | ${fmt(r.p99, 2).padStart(6)} | ${fmt(r.max, 1).padStart(6)} | ${`${fmt((n / codecLimit) * 100, 0)}% of ${fmt(codecLimit, 0)}`.padStart(19)} | ${fmt(codecNow).padStart(12)} | ${`${fmt(codecShare * 100, 0)}%`.padStart(14)} | ${load().padStart(4)} | ${refused}`,
      );
      await Promise.all(calls.map((c) => c.session.close()));
      const passed = r.lost === 0 && r.p99 < 20 && refused === 0;
      if (passed && !failed) {
        best = n;
        bestCpuPct = r.mediaCpuPct;
      }
      failed ||= !passed;
      // BENCH_ALL_STEPS=1 runs every step (CPU per call on a busy machine, where loss ends it early).
      if (!passed && process.env.BENCH_ALL_STEPS !== '1') break;
    }
    console.log(`\nlargest N with zero loss and p99 < 20 ms: ${best} calls on ${workers} worker(s)`);
    if (best > 0)
      console.log(
        `media CPU at that N: ${fmt(bestCpuPct)}% of one core = ${fmt(best / (bestCpuPct / 100), 0)} calls per core of CPU (codec-bound limit ${fmt(codecCallsPerCore, 0)} per core)`,
      );
  } finally {
    await ms.close();
  }

  // BENCH_OVERLOAD=0: the steps only (A/B runs of one change).
  if (process.env.BENCH_OVERLOAD === '0') {
    gen.close();
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  // Past the limit: the admission limit set at the measured capacity, and 30% more calls asked for.
  const perWorker = Number(process.env.BENCH_MAX_CALLS ?? Math.max(5, Math.floor(best / workers)));
  const limit = workers * perWorker;
  const attempt = Math.ceil(limit * 1.3);
  const guarded = new MediaServer({ workers, rtp, maxCallsPerWorker: perWorker });
  await guarded.start();
  try {
    console.log(`\noverload: asking for ${attempt} calls with an admission limit of ${perWorker} per worker (${limit})`);
    const { calls, refused } = await openCalls(guarded, attempt, gen);
    const r = await gen.run(
      calls.map((c) => c.ports),
      RUN_MS,
    );
    console.log(`  admitted ${calls.length}, refused ${refused} (MediaOverloadError -> SIP 503 Retry-After)`);
    console.log(
      `  admitted calls: sent ${r.sent}, lost ${r.lost}, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, max ${fmt(r.max, 1)} ms, media CPU ${fmt(r.mediaCpuPct)}%, load ${load()}`,
    );
    await Promise.all(calls.map((c) => c.session.close()));
  } finally {
    await guarded.close();
    gen.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

benchMain().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
