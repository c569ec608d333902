/**
 * WAL checkpoints run on the checkpointer thread: commits too few to reach SQLite's own limit still
 * reach the database file, without the main connection checkpointing.
 */
import t from 'tap';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/index.js';
import { until } from '../helpers/wait.js';

t.test('a few commits reach the database file from the checkpointer thread', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-wal-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const store = await Store.open({ dataDir });
  t.teardown(() => store.close());
  const project = await store.projects.create('acme');
  // Let the migrations' pages settle first, so growth below is the calls' own.
  let last = -1;
  await until(
    () => {
      const size = statSync(store.location).size;
      const settled = size === last;
      last = size;
      return settled;
    },
    { timeoutMs: 10000, intervalMs: 1200 },
  );
  const before = statSync(store.location).size;
  // ~100 commits of a few pages each: far below SQLite's default 1,000-page checkpoint limit.
  for (let i = 0; i < 50; i++)
    await store.calls.insert({
      projectId: project.id,
      direction: 'outbound',
      from: '+14155550100',
      to: `+3361${i}`,
      status: 'completed',
    });
  const grew = await until(() => statSync(store.location).size > before, { timeoutMs: 15000, intervalMs: 100 });
  t.ok(grew, `the database file grew from ${before} bytes (now ${statSync(store.location).size}) while the process only waited`);
  t.equal((await store.calls.page(project.id, { limit: 100 })).calls.length, 50, 'and every call reads back');
});
