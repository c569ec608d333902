/** `Prepared`: built and compiled once, each run binds its own values in the right places. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrator.js';
import { migrations } from '../../src/store/migrations/index.js';
import { Prepared } from '../../src/store/prepared.js';

t.test('binds named values wherever the builder put them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-prepared-'));
  const database = openDatabase({ dataDir: dir });
  t.teardown(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const { db } = database;
  await migrate(db, database.dialect, migrations);
  for (const name of ['alpha', 'beta', 'gamma'])
    await db.insertInto('projects').values({ name, created_at: '2026-01-01T00:00:00.000Z' }).execute();

  let builds = 0;
  const q = new Prepared<{ name: string; after: number }, { id: number; name: string }>(
    db,
    ({ name, after }) => {
      builds++;
      return db.selectFrom('projects').select(['id', 'name']).where('id', '>', after).where('name', '!=', name).orderBy('id');
    },
    ['name', 'after'],
  );
  t.same(
    (await q.execute({ name: 'beta', after: 0 })).map((r) => r.name),
    ['alpha', 'gamma'],
  );
  t.same(
    (await q.execute({ name: 'gamma', after: 1 })).map((r) => r.name),
    ['beta'],
    'the second run uses its own values',
  );
  t.equal(builds, 1, 'built once');
  t.equal(q.bind({ name: 'x', after: 2 }).parameters.length, 2);

  const bad = new Prepared<{ id: number; unused: string }, unknown>(
    db,
    ({ id }) => db.selectFrom('projects').selectAll().where('id', '=', id),
    ['id', 'unused'],
  );
  t.throws(
    () => bad.bind({ id: 1, unused: 'x' }),
    /argument unused is not a parameter/,
    'a named argument the query never uses is a bug',
  );
  // A value that looks like nothing special is never mistaken for a placeholder.
  t.same(
    (await q.execute({ name: '\u0000prepared:after\u0000', after: 0 })).map((r) => r.name),
    ['alpha', 'beta', 'gamma'],
  );
});
