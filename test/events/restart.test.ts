/**
 * The outbox survives SIGKILL: the platform (a real `node dist/src/main.js` process) is killed
 * with undelivered events and its receiver down; more events are written while it is dead; once
 * it starts again and the receiver comes up, every event arrives exactly once, each call's in order.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../../src/store/index.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { nodeChildEnv } from '../helpers/processes.js';

const mainJs = join(dirname(fileURLToPath(import.meta.url)), '../../src/main.js');

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('SIGKILL with a backlog and the receiver down: everything arrives once after restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-restart-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const receiver = await WebhookReceiver.start(t);
  await receiver.stop(); // its port now refuses connections

  const base = 30000 + 2 * Math.floor(Math.random() * 12000);
  const configFile = join(dataDir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      logLevel: 'silent',
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      sip: { listen: ['udp:127.0.0.1:0'] },
      rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: base, portMax: base + 99 },
      media: { workers: 1 },
      webhooks: { allowPrivateTargets: true, retryBaseSeconds: 0.1, retryMaxSeconds: 0.4, pollSeconds: 0.2 },
    }),
  );
  const children: ChildProcess[] = [];
  t.teardown(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  const startPlatform = (): ChildProcess => {
    const c = spawn(process.execPath, [mainJs], {
      env: nodeChildEnv({ SWITCHBOARD_CONFIG: configFile }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    c.stderr!.resume();
    children.push(c);
    return c;
  };

  const store = await Store.open({ dataDir });
  t.teardown(() => store.close());
  const project = await store.projects.create('acme');
  const hook = await store.webhooks.create(project.id, { url: receiver.url });
  const writeCalls = async (n: number): Promise<number[]> => {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = await store.calls.insert({
        projectId: project.id,
        direction: 'inbound',
        from: '+14155550100',
        to: `+1415555${String(1000 + i)}`,
      });
      await store.calls.updateStatus(c.id, { status: 'in-progress' });
      await store.calls.updateStatus(c.id, { status: 'completed' });
      ids.push(c.id);
    }
    return ids;
  };
  const before = await writeCalls(20);

  const first = startPlatform();
  // The platform is trying (and failing: refused) before it dies.
  await waitFor('failed attempts', async () => (await store.webhooks.attempts(hook.id)).length >= 10);
  first.kill('SIGKILL');
  await once(first, 'exit');
  const attemptsBefore = (await store.webhooks.attempts(hook.id, 1000)).length;
  t.ok(
    (await store.webhooks.attempts(hook.id, 1000)).every((a) => a.statusCode === null && a.error === 'ECONNREFUSED'),
    'every attempt so far was refused',
  );
  const after = await writeCalls(10);
  t.same(await store.outbox.counts(), { pending: 60, delivered: 0, failed: 0 }, 'the whole backlog is in the outbox');

  await receiver.listen();
  startPlatform();
  await receiver.until((d) => new Set(d.map((x) => x.envelope.id)).size >= 60, 60000);
  await waitFor('the outbox to drain', async () => (await store.outbox.counts()).pending === 0);
  await new Promise((r) => setTimeout(r, 1000)); // nothing more may come
  const got = receiver.deliveries;
  t.equal(got.length, 60, 'sixty POSTs');
  t.equal(new Set(got.map((d) => d.envelope.id)).size, 60, 'sixty distinct events: none twice');
  for (const id of [...before, ...after]) {
    const types = got.filter((d) => d.envelope.data.id === id).map((d) => d.envelope.type);
    t.same(types, ['phone_call.started', 'phone_call.completed'], `call ${id}: both events, in order`);
  }
  t.ok((await store.webhooks.attempts(hook.id, 1000)).length >= attemptsBefore + 60);
});
