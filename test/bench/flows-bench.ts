/**
 * `npm run bench:flows`: call flows on the whole platform. A carrier (sipp, 127.0.0.2) calls a DID
 * pointed at an application whose callback server (this process, 127.0.0.1) answers per call:
 * (1) a loop with no audio (SESSIONDATA, then the next callback) for the callback loop's own
 * round-trips per second; (2) concurrent calls running SAY/COLLECT rounds with cached prompts:
 * round-trips per second and the time from the answer (the 200 OK) to the first RTP packet of the
 * greeting, p50/p99; (3) calls one at a time whose 10-word SAY was never synthesized: time to its
 * first audio. The carrier's RTP arrives at one UDP socket here; each call is told apart by the
 * port our media endpoint sends from (its SDP). Prints the load average beside the figures.
 * FLOWS_BENCH_CALLS, FLOWS_BENCH_CONCURRENCY, FLOWS_BENCH_ROUNDS, FLOWS_BENCH_UNCACHED override.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Call } from '../../src/calls/call.js';
import { CallbackServer, type ReceivedRequest } from '../flows/flow-fakes.js';
import { type TestPlatform, startTestPlatform } from '../helpers/platform.js';
import { SippProcess, freePort } from '../helpers/sipp.js';

const CALLS = Number(process.env['FLOWS_BENCH_CALLS'] ?? 40);
const CONCURRENCY = Number(process.env['FLOWS_BENCH_CONCURRENCY'] ?? 10);
const ROUNDS = Number(process.env['FLOWS_BENCH_ROUNDS'] ?? 3);
const UNCACHED = Number(process.env['FLOWS_BENCH_UNCACHED'] ?? 5);
const LOOP_CALLBACKS = 100;
const CARRIER = '127.0.0.2';
const DID = '+15550100';
const GREETING = 'Welcome to the benchmark.';
const MENU = 'Press one for sales.';
const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const scenario = join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows/scenarios/uac-await-bye.xml');

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (v: number): string => `${Math.round(v)} ms`;

type Script = (req: ReceivedRequest, round: number) => unknown[];

/**
 * When each call was answered, when its init_call reached the callback server, and when the first
 * RTP packet from its media port arrived here.
 */
class FirstAudio {
  private readonly firstPacket = new Map<number, number>();
  private readonly answered = new Map<number, { at: number; ids: string[] }>();
  readonly socket = createSocket('udp4');

  constructor(
    tp: TestPlatform,
    private readonly server: CallbackServer,
  ) {
    this.socket.on('message', (_msg, rinfo) => {
      if (!this.firstPacket.has(rinfo.port)) this.firstPacket.set(rinfo.port, Date.now());
    });
    tp.platform.calls.on('added', (call: Call) => {
      call.once('answered', () => {
        const leg = call.legs.find((l) => l.role === 'caller');
        const port = /^m=audio (\d+) /m.exec(leg?.dialog.localSdp ?? '')?.[1];
        const ids = [call.id, String(call.recordId)];
        if (port && call.answeredAt !== undefined) this.answered.set(Number(port), { at: call.answeredAt, ids });
      });
    });
  }

  async bind(): Promise<number> {
    this.socket.bind(0, CARRIER);
    await once(this.socket, 'listening');
    return this.socket.address().port;
  }

  /**
   * Of every call answered since the last take(): ms from answer to first audio, and its two parts
   * (answer to init_call at the server, init_call to first audio); calls with no audio counted apart.
   */
  take(): { latencies: number[]; toCallback: number[]; toAudio: number[]; silent: number } {
    const latencies: number[] = [];
    const toCallback: number[] = [];
    const toAudio: number[] = [];
    let silent = 0;
    for (const [port, { at, ids }] of this.answered) {
      const first = this.firstPacket.get(port);
      if (first === undefined) {
        silent++;
        continue;
      }
      latencies.push(first - at);
      const init = this.server.received.find((r) => r.fields.type === 'init_call' && ids.includes(String(r.fields.call_id)));
      if (init) {
        toCallback.push(init.at - at);
        toAudio.push(first - init.at);
      }
    }
    this.answered.clear();
    this.firstPacket.clear();
    const sort = (a: number[]) => a.sort((x, y) => x - y);
    return { latencies: sort(latencies), toCallback: sort(toCallback), toAudio: sort(toAudio), silent };
  }
}

const split = (r: { toCallback: number[]; toAudio: number[] }): string =>
  `answer -> init_call p50 ${ms(pct(r.toCallback, 50))}, init_call -> first audio p50 ${ms(pct(r.toAudio, 50))}`;

async function runCalls(tp: TestPlatform, rtpPort: number, calls: number, concurrency: number): Promise<void> {
  const sipp = new SippProcess({
    scenario,
    localHost: CARRIER,
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: DID.slice(1),
    calls,
    rate: concurrency,
    limit: concurrency,
    timeoutMs: 600_000,
    keys: { caller: '+33783484044', rtp_port: String(rtpPort) },
  });
  await sipp.start();
  const result = await sipp.wait();
  if (result.code !== 0) process.stdout.write(`  sipp: exit ${result.code}: ${result.errors.slice(0, 300)}\n`);
}

async function main(): Promise<void> {
  const teardowns: (() => void | Promise<void>)[] = [];
  const host = { teardown: (fn: () => void | Promise<void>) => void teardowns.push(fn) };
  const server = new CallbackServer();
  await server.start();
  let script: Script = () => [{ type: 'HANGUP' }];
  const rounds = new Map<string, number>();
  server.routes.set('/flow', (req, res) => {
    const id = String(req.fields.call_id);
    const round = rounds.get(id) ?? 0;
    rounds.set(id, round + 1);
    const actions = req.fields.type === 'call_ended' ? [] : script(req, round);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ actions }));
  });
  const tp = await startTestPlatform(host, {
    config: {
      trunks: [{ name: 'carrier', host: CARRIER, port: await freePort(CARRIER), transport: 'udp', numbers: [{ number: DID }] }],
      webhooks: { allowPrivateTargets: true },
    },
  });
  try {
    const store = tp.platform.store;
    const project = (await store.projects.first())!;
    const app = await store.applications.create({
      projectId: project.id,
      name: 'bench',
      callbackUrl: server.url('/flow'),
      callbackMethod: 'POST',
      callbackFormat: 'json',
    });
    await store.numbers.assign(project.id, DID, { kind: 'application', applicationId: app.id });
    const audio = new FirstAudio(tp, server);
    const rtpPort = await audio.bind();
    process.stdout.write(`flows bench: ${CALLS} calls, ${CONCURRENCY} at a time; load average before: ${load()}\n`);

    // 1. The loop alone: every answer is one SESSIONDATA, so the next callback follows at once.
    script = (_req, round) =>
      round < LOOP_CALLBACKS ? [{ type: 'SESSIONDATA', session_data: { round } }] : [{ type: 'HANGUP' }];
    let before = server.received.length;
    let t0 = performance.now();
    await runCalls(tp, rtpPort, CONCURRENCY, CONCURRENCY);
    let seconds = (performance.now() - t0) / 1000;
    let callbacks = server.received.length - before;
    audio.take();
    process.stdout.write(
      `callback loop (no audio), ${CONCURRENCY} calls x ${LOOP_CALLBACKS}: ${callbacks} callbacks in ${seconds.toFixed(1)} s = ${(callbacks / seconds).toFixed(0)} round-trips/s (incl. SIP set-up); load ${load()}\n`,
    );

    // Warm the TTS cache with the two prompts (one call), so the measured calls play cached speech.
    script = (_req, round) =>
      round === 0
        ? [
            { type: 'SAY', params: { text: GREETING } },
            { type: 'SAY', params: { text: MENU } },
          ]
        : [{ type: 'HANGUP' }];
    await runCalls(tp, rtpPort, 1, 1);
    audio.take();

    // 2. SAY/COLLECT rounds with cached prompts.
    script = (_req, round) =>
      round < ROUNDS
        ? [
            { type: 'SAY', params: { text: GREETING } },
            {
              type: 'COLLECT',
              name: 'menu',
              params: { num_digits: 1, timeout: 300 },
              actions: [{ type: 'SAY', params: { text: MENU } }],
            },
          ]
        : [{ type: 'HANGUP' }];
    before = server.received.length;
    t0 = performance.now();
    await runCalls(tp, rtpPort, CALLS, CONCURRENCY);
    seconds = (performance.now() - t0) / 1000;
    callbacks = server.received.length - before;
    const cached = audio.take();
    process.stdout.write(
      `SAY/COLLECT, ${ROUNDS} rounds a call: ${callbacks} callbacks in ${seconds.toFixed(1)} s = ${(callbacks / seconds).toFixed(1)} round-trips/s (paced by the prompts' audio)\n` +
        `first audio after answer, cached prompt (${cached.latencies.length} calls${cached.silent ? `, ${cached.silent} heard nothing` : ''}): p50 ${ms(pct(cached.latencies, 50))}, p99 ${ms(pct(cached.latencies, 99))}, max ${ms(cached.latencies.at(-1) ?? NaN)} (aim <= 150 ms): ${split(cached)}; load ${load()}\n`,
    );

    // 3. A 10-word SAY nobody asked for before: synthesized while the caller waits.
    const uncached: number[] = [];
    const parts = { toCallback: [] as number[], toAudio: [] as number[] };
    for (let i = 0; i < UNCACHED; i++) {
      const digits = Array.from({ length: 6 }, () => WORDS[Math.floor(Math.random() * 10)]).join(' ');
      script = (_req, round) =>
        round === 0 ? [{ type: 'SAY', params: { text: `Your code is ${digits}, thank you.` } }] : [{ type: 'HANGUP' }];
      await runCalls(tp, rtpPort, 1, 1);
      const r = audio.take();
      uncached.push(...r.latencies);
      parts.toCallback.push(...r.toCallback);
      parts.toAudio.push(...r.toAudio);
    }
    for (const a of [uncached, parts.toCallback, parts.toAudio]) a.sort((x, y) => x - y);
    process.stdout.write(
      `first audio after answer, uncached 10-word SAY (${uncached.length} calls, one at a time): p50 ${ms(pct(uncached, 50))}, p99 ${ms(pct(uncached, 99))}, max ${ms(uncached.at(-1) ?? NaN)} (aim <= 300 ms): ${split(parts)}; load ${load()}\n`,
    );
  } finally {
    await server.close();
    for (const fn of teardowns.reverse()) await fn();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
