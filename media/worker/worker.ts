/**
 * Entry of a media worker thread: owns the sockets and codec state of the calls placed on it,
 * answers requests from the main thread and reports its load so the main thread can refuse
 * calls before this thread saturates.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Dispatcher } from './dispatcher.js';
import { warmUp } from './warm-up.js';
import type { FromWorker, RequestMsg, WorkerInit } from './protocol.js';

const LOAD_INTERVAL_MS = 500;
const LAG_PROBE_MS = 50;

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('media worker must run in a worker thread');
  const init = workerData as WorkerInit;
  const log = pino({ level: init.logLevel }).child({ mediaWorker: init.index });
  const post = (m: FromWorker): void => port.postMessage(m);
  const dispatcher = new Dispatcher(init, log, (target, event) => post({ kind: 'event', target, event }));

  // One call's bug must not take down every call on this thread: log it and keep serving.
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception in media worker'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection in media worker'));

  port.on('message', (msg: RequestMsg) => {
    if (msg?.kind !== 'req') return;
    dispatcher.dispatch(msg.op, msg.args).then(
      (result) => post({ kind: 'res', id: msg.id, ok: true, result, portsInUse: dispatcher.ports.size * 2 }),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        post({
          kind: 'res',
          id: msg.id,
          ok: false,
          error: { name: e.name, message: e.message },
          portsInUse: dispatcher.ports.size * 2,
        });
      },
    );
  });

  // Ready only once the one-time costs are paid, and measure load from then on: a report that
  // covered module loading and first-use compilation would read as saturation and refuse calls.
  try {
    await warmUp();
  } catch (err) {
    log.warn({ err }, 'media worker warm-up failed; the first call pays its costs');
  }

  // Timer lateness is what callers hear as added latency: measure it directly. The median over
  // the window, not the worst: a backlog makes every tick late, while one late tick is a single
  // stall (a compile, a GC, another process on the core) that callers do not hear as a delay.
  let expected = performance.now() + LAG_PROBE_MS;
  const lateness: number[] = [];
  const probe = setInterval(() => {
    const now = performance.now();
    lateness.push(Math.max(0, now - expected));
    expected = now + LAG_PROBE_MS;
  }, LAG_PROBE_MS);
  let lastElu = performance.eventLoopUtilization();
  const report = setInterval(() => {
    const elu = performance.eventLoopUtilization(lastElu);
    lastElu = performance.eventLoopUtilization();
    post({ kind: 'load', elu: elu.utilization, lagMs: median(lateness), counts: dispatcher.counts() });
    lateness.length = 0;
  }, LOAD_INTERVAL_MS);

  // tells the main thread this worker has loaded, warmed up and serves (admission, health checks)
  post({ kind: 'ready' });

  port.on('close', () => {
    clearInterval(probe);
    clearInterval(report);
    dispatcher.closeAll();
  });
}

void main();
