/**
 * WebRTC leg benchmark: werift clients (standing in for browsers) against WebRtcEndpoints on
 * loopback, all in this process.
 *  1. setup: offer -> answer -> ICE/DTLS -> first audio packet in each direction (p50/p99).
 *  2. capacity: the largest number of concurrent calls where, over a few seconds of 20 ms
 *     audio both ways, no packet is lost and the p99 added latency stays under 20 ms. Latency
 *     is matched frame for frame in each direction: from the client's send to the endpoint's
 *     decoded frame (SRTP, Opus decode to 8 kHz), and from the endpoint's sendAudio (Opus
 *     encode, SRTP) to the client's receipt. The endpoint side does the work of a browser ⇄
 *     PCMU leg; the client side only sends a pre-encoded packet and counts, but it shares the
 *     one thread, so the figure is conservative.
 */
import { pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { WebRtcEndpoint } from '../../media/endpoints/webrtc-endpoint.js';
import { configSchema } from '../../config/schema.js';
import { createEncoder } from '../../media/codecs/index.js';
import { WeriftClient } from '../media/webrtc/werift-client.js';
import { ToneSource } from '../media/webrtc/tone.js';

const webrtc = configSchema.parse({ webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true } }).webrtc;
const OPUS = { name: 'opus' as const, payloadType: 111, clockRate: 48000, channels: 2 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WebRtcBenchResult {
  setupMs: { p50: number; p99: number; runs: number };
  maxConcurrentCalls: number;
  capacitySteps: Array<StepResult & { calls: number }>;
}

/**
 * cpuMsPerCallSecond: process CPU (user+system) over the traffic window divided by calls×seconds.
 * Client and endpoint share the process, so it is an upper bound on the endpoint's cost; it does
 * not depend on how loaded the (shared) machine is, unlike the wall-clock capacity.
 */
interface StepResult {
  sent: number;
  lost: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  p99FrameGapMs: number;
  cpuMsPerCallSecond: number;
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

interface Pair {
  ep: WebRtcEndpoint;
  client: WeriftClient;
}

async function connectPair(id: string): Promise<Pair> {
  const ep = new WebRtcEndpoint({ id, webrtc }, { pcmRate: 8000, rtpTimeoutMs: 60000 });
  const client = new WeriftClient();
  try {
    await client.accept(await ep.answer(await client.offer()));
    await Promise.all([client.connected(15000), ep.waitConnected()]);
  } catch (err) {
    ep.close();
    await client.close();
    throw err;
  }
  return { ep, client };
}

async function closePair(p: Pair): Promise<void> {
  p.ep.close();
  await p.client.close();
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

export async function capacityStep(calls: number, seconds: number, opusFrame: Buffer): Promise<StepResult> {
  const pairs: Pair[] = [];
  try {
    for (let i = 0; i < calls; i++) pairs.push(await connectPair(`cap-${calls}-${i}`));
    await sleep(300);
    let received = 0;
    const gaps: number[] = [];
    const latencies: number[] = [];
    const tone = new ToneSource(1000, 8000);
    const frame = tone.next();
    const sentAt = new Map<Pair, { fromClient: number[]; fromEp: number[] }>();
    for (const p of pairs) {
      let last = 0;
      const times = { fromClient: [] as number[], fromEp: [] as number[] };
      sentAt.set(p, times);
      p.ep.on('audio', () => {
        received++;
        const now = performance.now();
        if (last) gaps.push(now - last);
        last = now;
        const at = times.fromClient.shift();
        if (at !== undefined) latencies.push(now - at);
      });
      p.client.onPacket = (pk) => {
        if (pk.payloadType !== 111) return;
        received++;
        const at = times.fromEp.shift();
        if (at !== undefined) latencies.push(performance.now() - at);
      };
    }
    const frames = seconds * 50;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    for (let n = 0; n < frames; n++) {
      for (const p of pairs) {
        const times = sentAt.get(p) as { fromClient: number[]; fromEp: number[] };
        times.fromClient.push(performance.now());
        p.client.sendOpus(opusFrame);
        times.fromEp.push(performance.now());
        p.ep.sendAudio({ samples: frame, sampleRate: 8000 });
      }
      const wait = start + (n + 1) * 20 - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const cpu = process.cpuUsage(cpu0);
    const windowS = (performance.now() - start) / 1000;
    await sleep(500);
    const cpuMsPerCallSecond = (cpu.user + cpu.system) / 1000 / (calls * windowS);
    const sent = frames * calls * 2;
    return {
      sent,
      lost: sent - received,
      p50LatencyMs: percentile(latencies, 50),
      p99LatencyMs: percentile(latencies, 99),
      p99FrameGapMs: percentile(gaps, 99),
      cpuMsPerCallSecond,
    };
  } finally {
    await Promise.all(pairs.map(closePair));
  }
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
  for (const calls of ladder) {
    const r = await capacityStep(calls, opts.seconds ?? 4, opusFrame);
    steps.push({ calls, ...r });
    log(
      `${calls} concurrent calls: ${r.sent} packets, ${r.lost} lost, added latency p50 ${r.p50LatencyMs.toFixed(1)} / p99 ${r.p99LatencyMs.toFixed(1)} ms, p99 inter-frame gap ${r.p99FrameGapMs.toFixed(1)} ms, CPU ${r.cpuMsPerCallSecond.toFixed(2)} ms per call-second (${(1000 / r.cpuMsPerCallSecond).toFixed(0)} calls per core)`,
    );
    if (r.lost > 0 || r.p99LatencyMs >= 20) break;
    best = calls;
  }
  return { setupMs, maxConcurrentCalls: best, capacitySteps: steps };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const cpuCalls = Number(process.argv.find((a) => a.startsWith('--cpu='))?.slice(6) ?? 0);
  if (cpuCalls > 0) {
    // Fixed load, three runs: CPU per call-second is what compares across a shared machine.
    void (async () => {
      const enc = createEncoder(OPUS, { pcmRate: 48000 });
      const opusFrame = enc.encode(new ToneSource(1000, 48000).next());
      enc.close();
      for (let run = 1; run <= 3; run++) {
        const r = await capacityStep(cpuCalls, 6, opusFrame);
        process.stdout.write(
          `webrtc cpu: run ${run}, ${cpuCalls} calls: ${r.lost} lost of ${r.sent}, p99 ${r.p99LatencyMs.toFixed(1)} ms, CPU ${r.cpuMsPerCallSecond.toFixed(2)} ms per call-second (${(1000 / r.cpuMsPerCallSecond).toFixed(0)} calls per core), load ${loadavg()[0].toFixed(2)}\n`,
        );
      }
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
