/**
 * Entry of a media worker thread: owns the sockets and codec state of the calls placed on it,
 * answers requests from the main thread and reports its load so the main thread can refuse
 * calls before this thread saturates.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Dispatcher } from './dispatcher.js';
import type { FromWorker, RequestMsg, WorkerInit } from './protocol.js';

const LOAD_INTERVAL_MS = 500;
const LAG_PROBE_MS = 50;

function main(): void {
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
        post({ kind: 'res', id: msg.id, ok: false, error: { name: e.name, message: e.message }, portsInUse: dispatcher.ports.size * 2 });
      },
    );
  });

  // Timer lateness is what callers hear as added latency: measure it directly.
  let expected = performance.now() + LAG_PROBE_MS;
  let worstLag = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    worstLag = Math.max(worstLag, now - expected);
    expected = now + LAG_PROBE_MS;
  }, LAG_PROBE_MS);
  let lastElu = performance.eventLoopUtilization();
  const report = setInterval(() => {
    const elu = performance.eventLoopUtilization(lastElu);
    lastElu = performance.eventLoopUtilization();
    post({ kind: 'load', elu: elu.utilization, lagMs: worstLag, counts: dispatcher.counts() });
    worstLag = 0;
  }, LOAD_INTERVAL_MS);

  // the first report tells the main thread this worker has loaded and serves (health checks)
  post({ kind: 'load', elu: 0, lagMs: 0, counts: dispatcher.counts() });

  port.on('close', () => {
    clearInterval(probe);
    clearInterval(report);
    dispatcher.closeAll();
  });
}

main();
