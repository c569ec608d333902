/** The SQLite statement cache: the same SQL text gets the same prepared statement, and the cache stays bounded. */
import t from 'tap';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { CachingSqliteDatabase } from '../../src/store/statement-cache.js';
import { Store } from '../../src/store/index.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

t.test('a statement is prepared once per SQL text, least recently used evicted past the bound', async (t) => {
  const raw = new Sqlite(':memory:');
  let prepared = 0;
  const counting = {
    prepare: (sql: string) => {
      prepared++;
      return raw.prepare(sql);
    },
    close: () => raw.close(),
  } as unknown as BetterSqlite3.Database;
  const db = new CachingSqliteDatabase(counting, 2);
  db.prepare('create table x (a integer)').run([]);
  const a = db.prepare('select 1 as v');
  t.equal(db.prepare('select 1 as v'), a, 'the same statement object again');
  t.same(a.all([]), [{ v: 1 }]);
  db.prepare('select 2');
  db.prepare('select 1 as v'); // now the most recently used
  db.prepare('select 3'); // evicts 'select 2'
  t.equal(db.size, 2, 'bounded');
  const before = prepared;
  t.equal(db.prepare('select 1 as v'), a, 'the recently used one survived');
  db.prepare('select 2');
  t.equal(prepared, before + 1, 'the evicted one is prepared again');
  db.prepare('insert into x (a) values (?)').run([1]);
  db.prepare('insert into x (a) values (?)').run([2]);
  t.same(
    db.prepare('select a from x order by a').all([]),
    [{ a: 1 }, { a: 2 }],
    'a reused write statement runs with new parameters',
  );
  db.close();
});

t.test('the store answers the same through cached statements, repeated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-stmt-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open({ dataDir: dir });
  t.teardown(() => store.close());
  const p = await store.projects.create('Cache Co');
  for (let i = 0; i < 3; i++) {
    const c = await store.calls.insert({
      projectId: p.id,
      direction: 'outbound',
      from: '+14155550100',
      to: `+3361000000${i}`,
      status: 'completed',
    });
    t.equal((await store.calls.get(c.id))?.to, `+3361000000${i}`);
  }
  const page = await store.calls.page(p.id, { limit: 2 });
  t.same(
    page.calls.map((c) => c.to),
    ['+33610000002', '+33610000001'],
    'newest first',
  );
  t.equal(page.hasMore, true);
});
