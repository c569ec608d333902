/**
 * `npm run bench:sip`: sipp UAC -> our SIP server -> drachtio-srf createB2BUA (in its own process,
 * sip-bench-app.ts) -> sipp UAS (INVITE, 200, ACK, BYE) at rising call rates, 100 calls/s more every step (20 s each) until calls
 * fail. Prints each step, the highest rate sustained with no failed call and the p50/p99 INVITE->200
 * time seen by the caller (sipp -trace_rtt), with the machine's load average (other work skews it).
 * SIP_BENCH_RATES (comma list) and SIP_BENCH_STEP_SECONDS override the steps.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SipServer } from '../../sip/server/sip-server.js';
import { SippProcess, freePort } from '../helpers/sipp.js';

const STEP = 100;
const MAX_RATE = 5000;
const RATES = process.env['SIP_BENCH_RATES']
  ? process.env['SIP_BENCH_RATES'].split(',').map(Number)
  : Array.from({ length: MAX_RATE / STEP }, (_, i) => (i + 1) * STEP);
const STEP_SECONDS = Number(process.env['SIP_BENCH_STEP_SECONDS'] ?? 20);

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const sipPort = await freePort();
  const server = new SipServer({ listen: [`udp:127.0.0.1:${sipPort}`], admin: { host: '127.0.0.1', port: 0 }, secret: 'bench' });
  const addr = await server.start();
  const uas = new SippProcess({ scenario: 'uas', calls: 1_000_000_000, timeoutMs: 600_000 });
  await uas.start();
  const app = await startApp(addr.admin.port, uas.localPort);
  process.stdout.write(`${STEP_SECONDS} s steps; load average before: ${load()}\n`);
  let best: { rate: number; p50: number; p99: number; calls: number } | undefined;
  try {
    for (const rate of RATES) {
      const calls = rate * STEP_SECONDS;
      const uac = new SippProcess({
        scenario: 'uac',
        remote: `127.0.0.1:${sipPort}`,
        service: 'bench',
        rate,
        calls,
        limit: rate * 4,
        rtt: true,
        timeoutMs: (STEP_SECONDS + 30) * 1000,
      });
      const t0 = Date.now();
      // where the main thread stalls: event-loop delay and garbage-collection pauses during the step
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      let gcMs = 0;
      let gcMax = 0;
      const gc = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          gcMs += e.duration;
          gcMax = Math.max(gcMax, e.duration);
        }
      });
      gc.observe({ entryTypes: ['gc'] });
      // CPU, not wall time: the machine is shared, so wall time is noisy
      const cpu0 = process.cpuUsage();
      const appCpu0 = await appCpu(app);
      const heap0 = process.memoryUsage().heapUsed;
      await uac.start();
      const r = await uac.wait();
      const elapsed = (Date.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const appCpu1 = await appCpu(app);
      const perCall = (us: number): string => (us / 1000 / Math.max(r.successful, 1)).toFixed(2);
      const serverUs = cpu.user + cpu.system;
      const appUs = appCpu1.user - appCpu0.user + (appCpu1.system - appCpu0.system);
      const heapGrowth = (process.memoryUsage().heapUsed - heap0) / 1048576;
      loop.disable();
      gc.disconnect();
      uac.cleanup();
      const rtts = [...r.rtts].sort((x, y) => x - y);
      const achieved = r.successful / Math.max(elapsed - 0.5, 0.001);
      const ok = r.code === 0 && r.failed === 0 && r.successful === calls && elapsed < STEP_SECONDS * 1.5 + 2;
      process.stdout.write(
        `rate ${rate} cps: ${r.successful}/${calls} ok, ${r.failed} failed, ${elapsed.toFixed(1)} s ` +
          `(${achieved.toFixed(0)} cps), INVITE->200 p50 ${pct(rtts, 50).toFixed(1)} ms p99 ${pct(rtts, 99).toFixed(1)} ms, ` +
          `load average ${load()}${ok ? '' : '  <- not sustained'}\n` +
          `  main thread: event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms max ${(loop.max / 1e6).toFixed(1)} ms; ` +
          `GC ${(gcMs / elapsed / 10).toFixed(1)} % of the time, longest pause ${gcMax.toFixed(1)} ms; ` +
          `requests shed so far ${server.stats().shed}\n` +
          `  CPU per call: server ${perCall(serverUs)} ms (${(serverUs / 1e4 / elapsed).toFixed(0)} % of a core), ` +
          `srf app ${perCall(appUs)} ms (${(appUs / 1e4 / elapsed).toFixed(0)} %); server heap ${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(1)} MB over the step\n`,
      );
      if (!ok) {
        const first = r.errors
          .split('\n')
          .filter((l) => l.trim())
          .slice(0, 6)
          .join('\n');
        if (first) process.stdout.write(`  first sipp errors:\n${first}\n`);
        break;
      }
      best = { rate, p50: pct(rtts, 50), p99: pct(rtts, 99), calls };
      await new Promise((res) => setTimeout(res, 1500));
    }
  } finally {
    app.send({ cmd: 'stop' });
    uas.cleanup();
    await server.close();
  }
  if (best) {
    process.stdout.write(
      `\nhighest sustained: ${best.rate} calls/s with no failed call; INVITE->200 p50 ${best.p50.toFixed(1)} ms, p99 ${best.p99.toFixed(1)} ms\n`,
    );
  } else {
    process.stdout.write('\nno rate was sustained without failures\n');
    process.exitCode = 1;
  }
}

async function startApp(adminPort: number, uasPort: number): Promise<ChildProcess> {
  const file = fileURLToPath(new URL('./sip-bench-app.js', import.meta.url));
  const child = fork(file, [String(adminPort), 'bench', String(uasPort)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the srf app exited (${code}) before connecting`)));
  });
  return child;
}

function appCpu(app: ChildProcess): Promise<NodeJS.CpuUsage> {
  return new Promise((resolve) => {
    const onMsg = (m: { type: string; usage: NodeJS.CpuUsage }): void => {
      if (m.type !== 'cpu') return;
      app.off('message', onMsg);
      resolve(m.usage);
    };
    app.on('message', onMsg);
    app.send({ cmd: 'cpu' });
  });
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
