/**
 * WebRTC leg benchmark: werift clients (standing in for browsers) against WebRtcEndpoints on
 * loopback.
 *  1. setup: offer -> answer -> ICE/DTLS -> first audio packet in each direction (p50/p99), both
 *     sides in this process (a latency figure, not a CPU one).
 *  2. capacity: the clients run in a child process (webrtc-clients.ts) so that their SRTP, ICE
 *     and RTCP work is not counted as ours. The largest number of concurrent calls where, over a
 *     few seconds of 20 ms speech-like audio both ways, no packet is lost and the p99 added
 *     latency stays under 20 ms. Latency is matched frame for frame in each direction on a clock
 *     both processes share: from the client's send to the endpoint's decoded frame (SRTP, Opus
 *     decode to 8 kHz), and from the endpoint's sendAudio (Opus encode, SRTP) to the client's
 *     receipt. The endpoint side does the work of a browser ⇄ PCMU leg.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { WebRtcEndpoint } from '../../media/endpoints/webrtc-endpoint.js';
import { configSchema } from '../../config/schema.js';
import { createEncoder } from '../../media/codecs/index.js';
import { WeriftClient } from '../media/webrtc/werift-client.js';
import { ToneSource } from '../media/webrtc/tone.js';
import { callCodecCost, speechLike } from './codec-bench.js';
import { epochMs, type ClientReply, type ClientRequest } from './webrtc-clients.js';

const webrtc = configSchema.parse({ webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true } }).webrtc;
const OPUS = { name: 'opus' as const, payloadType: 111, clockRate: 48000, channels: 2 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const here = dirname(fileURLToPath(import.meta.url));

export interface WebRtcBenchResult {
  setupMs: { p50: number; p99: number; runs: number };
  maxConcurrentCalls: number;
  capacitySteps: Array<StepResult & { calls: number }>;
}

/**
 * cpuMsPerCallSecond: this process's CPU (user+system) over the traffic window divided by
 * carried calls × seconds (calls × the share of packets that arrived); the clients' CPU is
 * reported apart. It does not depend on how loaded the
 * (shared) machine is as much as the wall-clock capacity does.
 */
interface StepResult {
  sent: number;
  lost: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  p99FrameGapMs: number;
  cpuMsPerCallSecond: number;
  /** This process's CPU over the window, % of one core. */
  cpuPct: number;
  /** The clients' process, % of one core. */
  clientCpuPct: number;
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

/** Offer to first packet each way, with audio sent every 20 ms from the moment the SDP is known. */
async function setupOnce(i: number, opusFrame: Buffer): Promise<number> {
  const t0 = performance.now();
  const ep = new WebRtcEndpoint({ id: `setup-${i}`, webrtc }, { pcmRate: 8000 });
  const client = new WeriftClient();
  const silence8k = new Int16Array(160);
  let gotAtEp = 0;
  let gotAtClient = 0;
  ep.on('rtp', () => {
    gotAtEp ||= performance.now();
  });
  client.onPacket = () => {
    gotAtClient ||= performance.now();
  };
  const pump = setInterval(() => {
    client.sendOpus(opusFrame);
    ep.sendAudio({ samples: silence8k, sampleRate: 8000 });
  }, 20);
  try {
    await client.accept(await ep.answer(await client.offer()));
    const deadline = performance.now() + 15000;
    while ((!gotAtEp || !gotAtClient) && performance.now() < deadline) await sleep(2);
    if (!gotAtEp || !gotAtClient) throw new Error('audio did not flow both ways within 15 s');
    return Math.max(gotAtEp, gotAtClient) - t0;
  } finally {
    clearInterval(pump);
    ep.close();
    await client.close();
  }
}

/** The clients' process: one request at a time over the IPC channel. */
class ClientProcess {
  private readonly child: ChildProcess;
  constructor() {
    this.child = fork(join(here, 'webrtc-clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  request(req: ClientRequest, timeoutMs = 120000): Promise<ClientReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`clients did not answer ${req.op} in ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (reply: ClientReply): void =>
        reply.op === 'error' ? done(new Error(`clients: ${reply.message}`)) : done(undefined, reply);
      const onExit = (code: number | null): void => done(new Error(`clients exited (${code}) during ${req.op}`));
      const done = (err?: Error, reply?: ClientReply): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve(reply as ClientReply);
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
      this.child.send(req);
    });
  }

  close(): void {
    this.child.disconnect();
    this.child.kill();
  }
}

/** Latency of frame k (from `from` on): where it arrived minus when it left, while both sides counted alike. */
function matchLatencies(sent: number[], received: number[], out: number[], from: number): void {
  for (let k = from; k < Math.min(sent.length, received.length); k++) out.push(received[k] - sent[k]);
}

/**
 * Frames of traffic before the measured window: codecs are made on a call's first packet, the
 * receive path is taken over on it, and the step's new objects meet their first collections.
 */
const WARMUP_FRAMES = 50;

/**
 * One 20 ms frame to every call, as the bridge's G.711 side would hand it over. A function of its
 * own: inside the async step's loop it ran in baseline code, and this process's CPU is the figure.
 */
function sendFrame(eps: WebRtcEndpoint[], sentAt: number[][], samples: Int16Array): void {
  const frame = { samples, sampleRate: 8000 };
  for (let i = 0; i < eps.length; i++) {
    sentAt[i].push(epochMs());
    eps[i].sendAudio(frame);
  }
}

/**
 * N calls for `seconds`: the clients (another process) send Opus at 20 ms, the endpoints here
 * decode it to 8 kHz and send encoded 8 kHz speech back. CPU is this process's only.
 */
export async function capacityStep(calls: number, seconds: number, clients: ClientProcess): Promise<StepResult> {
  const eps: WebRtcEndpoint[] = [];
  try {
    const { offers } = (await clients.request({ op: 'open', calls })) as Extract<ClientReply, { op: 'offers' }>;
    const pair = async (i: number, offer: string): Promise<void> => {
      const ep = new WebRtcEndpoint({ id: `cap-${calls}-${i}`, webrtc }, { pcmRate: 8000, rtpTimeoutMs: 60000 });
      eps[i] = ep;
      // As the call layer does for a browser leg bridged to G.711 (this bench's PCMU side).
      const answer = await ep.answer(offer, { maxPlaybackRate: 8000 });
      if (!/maxplaybackrate=8000/.test(answer)) throw new Error('no maxplaybackrate in our answer');
      await clients.request({ op: 'accept', index: i, answer });
    };
    for (let i = 0; i < calls; i++) await pair(i, offers[i]);
    for (let attempt = 1; ; attempt++) {
      const results = await Promise.allSettled(eps.map((ep) => ep.waitConnected()));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
      if (failed.length === 0) break;
      if (attempt === 3) throw new Error(`${failed.length} of ${calls} calls did not connect`);
      for (const i of failed) {
        eps[i].close();
        const { offer } = (await clients.request({ op: 'reopen', index: i })) as Extract<ClientReply, { op: 'offer' }>;
        await pair(i, offer);
      }
    }
    await clients.request({ op: 'connect' });
    const gaps: number[] = [];
    const epReceivedAt = eps.map(() => [] as number[]);
    const epSentAt = eps.map(() => [] as number[]);
    eps.forEach((ep, i) => {
      let last = 0;
      ep.on('audio', () => {
        const now = epochMs();
        if (last) gaps.push(now - last);
        last = now;
        epReceivedAt[i].push(now);
      });
    });
    const speech = speechLike(8000, 100);
    const frames = WARMUP_FRAMES + seconds * 50;
    const startAt = epochMs() + 300;
    const clientRun = clients.request({ op: 'run', frames, startAt });
    await sleep(startAt - epochMs());
    let cpu0 = process.cpuUsage();
    let t0 = epochMs();
    for (let n = 0; n < frames; n++) {
      if (n === WARMUP_FRAMES) {
        cpu0 = process.cpuUsage();
        t0 = epochMs();
      }
      sendFrame(eps, epSentAt, speech[n % speech.length]);
      const wait = startAt + (n + 1) * 20 - epochMs();
      if (wait > 0) await sleep(wait);
    }
    const cpu = process.cpuUsage(cpu0);
    const windowS = (epochMs() - t0) / 1000;
    const result = (await clientRun) as Extract<ClientReply, { op: 'result' }>;
    const latencies: number[] = [];
    let received = 0;
    for (let i = 0; i < calls; i++) {
      received += epReceivedAt[i].length + result.receivedAt[i].length;
      matchLatencies(result.sentAt[i], epReceivedAt[i], latencies, WARMUP_FRAMES);
      matchLatencies(epSentAt[i], result.receivedAt[i], latencies, WARMUP_FRAMES);
    }
    const sent = frames * calls * 2;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      sent,
      lost: Math.max(0, sent - received),
      p50LatencyMs: percentile(latencies, 50),
      p99LatencyMs: percentile(latencies, 99),
      p99FrameGapMs: percentile(gaps, 99),
      // Per call carried: a starved process that drops packets spends no CPU on them.
      cpuMsPerCallSecond: cpuMs / (calls * Math.max(received / sent, 1e-6) * windowS),
      cpuPct: (cpuMs / 1000 / windowS) * 100,
      clientCpuPct: (result.cpuUs / 1000 / result.windowMs) * 100,
    };
  } finally {
    for (const ep of eps) ep.close();
    await clients.request({ op: 'close' }).catch(() => undefined);
  }
}

function describe(r: StepResult): string {
  return `${r.sent} packets, ${r.lost} lost, added latency p50 ${r.p50LatencyMs.toFixed(1)} / p99 ${r.p99LatencyMs.toFixed(1)} ms, p99 inter-frame gap ${r.p99FrameGapMs.toFixed(1)} ms, media CPU ${r.cpuPct.toFixed(1)}% (clients ${r.clientCpuPct.toFixed(1)}%), ${r.cpuMsPerCallSecond.toFixed(2)} ms per call-second (${(1000 / r.cpuMsPerCallSecond).toFixed(0)} calls per core)`;
}

export async function benchWebRtc(
  opts: { runs?: number; maxCalls?: number; seconds?: number; log?: (line: string) => void } = {},
): Promise<WebRtcBenchResult> {
  const log = opts.log ?? (() => undefined);
  const runs = opts.runs ?? 20;
  const enc = createEncoder(OPUS, { pcmRate: 48000 });
  const opusFrame = enc.encode(new ToneSource(1000, 48000).next());
  enc.close();
  const setup: number[] = [];
  for (let i = 0; i < runs; i++) setup.push(await setupOnce(i, opusFrame));
  const setupMs = { p50: percentile(setup, 50), p99: percentile(setup, 99), runs };
  log(`setup (offer -> audio both ways): p50 ${setupMs.p50.toFixed(1)} ms, p99 ${setupMs.p99.toFixed(1)} ms over ${runs} calls`);
  const steps: WebRtcBenchResult['capacitySteps'] = [];
  let best = 0;
  const maxCalls = opts.maxCalls ?? 160;
  const ladder = [2, 5, 10, 15, 20, 30, 40, 60, 80, 100, 120, 160, 200].filter((n) => n <= maxCalls);
  const clients = new ClientProcess();
  try {
    for (const calls of ladder) {
      const r = await capacityStep(calls, opts.seconds ?? 4, clients);
      steps.push({ calls, ...r });
      log(`${calls} concurrent calls: ${describe(r)}`);
      if (r.lost > 0 || r.p99LatencyMs >= 20) break;
      best = calls;
    }
  } finally {
    clients.close();
  }
  return { setupMs, maxConcurrentCalls: best, capacitySteps: steps };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const cpuCalls = Number(process.argv.find((a) => a.startsWith('--cpu='))?.slice(6) ?? 0);
  if (cpuCalls > 0) {
    // Fixed load, three runs: CPU per call-second is what compares across a shared machine.
    void (async () => {
      const clients = new ClientProcess();
      for (let run = 1; run <= 3; run++) {
        const r = await capacityStep(cpuCalls, Number(process.env.BENCH_SECONDS ?? 6), clients);
        // This VM's speed drifts within minutes: the codec work of one call, measured now, and its share
        // of what a call cost us make runs comparable (as in bench:media).
        const codecUs = callCodecCost({ fec: false, wideband: process.env.BENCH_OPUS_WIDEBAND === '1' });
        const share = codecUs / ((r.cpuMsPerCallSecond * 1000) / 50);
        process.stdout.write(
          `webrtc cpu: run ${run}, ${cpuCalls} calls: ${describe(r)}, codec µs now ${codecUs.toFixed(1)} (${(share * 100).toFixed(0)} % of a call's CPU), load ${loadavg()[0].toFixed(2)}\n`,
        );
      }
      clients.close();
      process.exit(0);
    })();
  } else
    benchWebRtc({
      runs: quick ? 5 : 20,
      maxCalls: quick ? 20 : 160,
      seconds: quick ? 2 : 4,
      log: (l) => process.stdout.write(`webrtc: ${l}\n`),
    })
      .then((r) => {
        process.stdout.write(
          `webrtc: max concurrent calls with zero loss and p99 added latency < 20 ms: ${r.maxConcurrentCalls}\n`,
        );
        process.exit(0);
      })
      .catch((err: unknown) => {
        process.stderr.write(`webrtc bench failed: ${String(err)}\n`);
        process.exit(1);
      });
}
