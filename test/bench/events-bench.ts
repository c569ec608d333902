/**
 * `npm run bench:events`: call status changes written through the store (SQLite, the default)
 * become signed webhook deliveries to a local HTTP receiver (in this same process, so it shares
 * the core). Prints (1) the latency from state change to delivery at a steady rate, (2) the
 * saturated delivery rate, (3) how fast a 10,000-event backlog (written while no dispatcher ran,
 * as after an outage) drains once delivery resumes.
 */
import http from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Store } from '../../src/store/index.js';
import { EventBus } from '../../src/events/event-bus.js';
import { WebhookDispatcher } from '../../src/events/webhook-dispatcher.js';

const RATE = Number(process.env['EVENTS_BENCH_RATE'] ?? 500);
const STEADY_SECONDS = Number(process.env['EVENTS_BENCH_SECONDS'] ?? 5);
const BURST = Number(process.env['EVENTS_BENCH_BURST'] ?? 5000);
const BACKLOG = Number(process.env['EVENTS_BENCH_BACKLOG'] ?? 10000);

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-events-bench-'));
  const store = await Store.open({ dataDir });
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let received = 0;
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const env = JSON.parse(Buffer.concat(chunks).toString()) as { data: { id: number } };
      const t0 = sentAt.get(env.data.id);
      if (t0 !== undefined) latencies.push(performance.now() - t0);
      received++;
      res.writeHead(200).end();
    });
  });
  receiver.keepAliveTimeout = 60000;
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const port = (receiver.address() as { port: number }).port;
  const project = await store.projects.create('bench');
  await store.webhooks.create(project.id, { url: `http://127.0.0.1:${port}/hook`, events: ['phone_call.started'] });

  const bus = new EventBus(store);
  const newDispatcher = () =>
    new WebhookDispatcher({
      store,
      bus,
      logger: pino({ level: 'silent' }),
      allowPrivateTargets: true,
      timeoutMs: 10000,
      concurrency: 32,
      retryBaseMs: 1000,
      retryMaxMs: 60000,
      retryWindowMs: 86400_000,
      pollMs: 1000,
    });
  const waitReceived = async (n: number) => {
    while (received < n) await new Promise((r) => setTimeout(r, 5));
  };
  const fire = async (measure: boolean) => {
    const c = await store.calls.insert({ projectId: project.id, direction: 'inbound', from: '+14155550100', to: '+14155550101' });
    if (measure) sentAt.set(c.id, performance.now());
    await store.calls.updateStatus(c.id, { status: 'in-progress' });
  };

  // 1. Steady rate: latency from the state change to the receiver.
  let dispatcher = newDispatcher();
  dispatcher.start();
  const total = RATE * STEADY_SECONDS;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    await fire(true);
  }
  await waitReceived(total);
  latencies.sort((a, b) => a - b);
  console.log(
    `steady ${RATE}/s for ${STEADY_SECONDS} s: ${total} deliveries, state change -> delivery p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms`,
  );

  // 2. Saturation: state changes written as fast as the store takes them while delivering.
  sentAt.clear();
  latencies.length = 0;
  let base = received;
  let t0 = performance.now();
  const writers = Array.from({ length: 8 }, async (_x, w) => {
    for (let i = w; i < BURST; i += 8) await fire(true);
  });
  await Promise.all(writers);
  const written = performance.now() - t0;
  await waitReceived(base + BURST);
  let secs = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `burst of ${BURST}: written in ${(written / 1000).toFixed(2)} s, all delivered in ${secs.toFixed(2)} s = ${(BURST / secs).toFixed(0)} deliveries/s (p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms while queued)`,
  );
  await dispatcher.close();

  // 3. Backlog: 10,000 events written while nothing delivered, then drained.
  sentAt.clear();
  for (let i = 0; i < BACKLOG; i++) await fire(false);
  const counts = await store.outbox.counts();
  base = received;
  dispatcher = newDispatcher();
  t0 = performance.now();
  dispatcher.start();
  await waitReceived(base + BACKLOG);
  secs = (performance.now() - t0) / 1000;
  console.log(
    `backlog of ${counts.pending} pending: drained in ${secs.toFixed(2)} s = ${(BACKLOG / secs).toFixed(0)} deliveries/s`,
  );

  await dispatcher.close();
  bus.close();
  receiver.closeAllConnections();
  receiver.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
