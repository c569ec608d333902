/**
 * Migrations on both dialects: applied once, idempotent across restarts, data kept, and a database
 * written by a newer release refused with a clear message (by the store, and by the admin CLI).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { forEachDialect } from '../helpers/stores.js';
import { openDatabase } from '../../src/store/database.js';
import { latestVersion, migrate, schemaVersion } from '../../src/store/migrator.js';
import { migrations } from '../../src/store/migrations/index.js';
import { Store, SchemaTooNewError } from '../../src/store/index.js';
import { nodeChildEnv } from '../helpers/processes.js';

const run = promisify(execFile);
const adminJs = join(dirname(fileURLToPath(import.meta.url)), '../../src/admin.js');
const mainJs = join(dirname(fileURLToPath(import.meta.url)), '../../src/main.js');
t.setTimeout(120000);

forEachDialect(t, 'migrations apply once and a restart keeps the data', async (t, target) => {
  const first = await target.open();
  t.equal(first.dialect, target.dialect);
  const p = await first.projects.create('acme');
  const { token } = await first.apiTokens.create(p.id);
  await first.close();

  const db = openDatabase(target.options);
  t.same(await migrate(db.db, db.dialect, migrations), [], 'nothing left to apply on a migrated database');
  t.equal(await schemaVersion(db.db), latestVersion(migrations));
  await db.close();

  const again = await target.open();
  t.same(
    (await again.projects.list()).map((x) => x.name),
    ['acme'],
    'the project survived the restart',
  );
  t.equal((await again.apiTokens.authenticate(token))?.projectId, p.id, 'and its token still works');
});

forEachDialect(t, 'several processes migrating one fresh database at once apply each migration once', async (t, target) => {
  const env = {
    ...nodeChildEnv(),
    DATA_DIR: target.options.dataDir,
    ...(target.options.url ? { DATABASE_URL: target.options.url } : {}),
  };
  const runs = await Promise.all(
    [1, 2, 3].map(() =>
      run(process.execPath, [adminJs, 'project', 'list'], { env }).then(
        () => 0,
        (e: { code: number; stderr: string }) => {
          t.comment(e.stderr);
          return e.code;
        },
      ),
    ),
  );
  t.same(runs, [0, 0, 0], 'three admin processes started together all succeed');
  const db = openDatabase(target.options);
  t.teardown(() => db.close());
  t.equal(await schemaVersion(db.db), latestVersion(migrations));
  t.same(await migrate(db.db, db.dialect, migrations), []);
});

forEachDialect(t, 'a migration numbered into a gap is applied after later ones', async (t, target) => {
  const db = openDatabase(target.options);
  t.teardown(() => db.close());
  const ran: string[] = [];
  const step = (version: number) => ({ version, name: `m${version}`, up: async () => void ran.push(`m${version}`) });
  const latest = latestVersion(migrations);
  await migrate(db.db, db.dialect, migrations);
  t.same(await migrate(db.db, db.dialect, [...migrations, step(latest + 3)]), [latest + 3]);
  t.same(
    await migrate(db.db, db.dialect, [...migrations, step(latest + 1), step(latest + 3)]),
    [latest + 1],
    'the gap is filled and nothing runs twice',
  );
  t.same(ran, [`m${latest + 3}`, `m${latest + 1}`]);
  t.equal(await schemaVersion(db.db), latest + 3);
  await t.rejects(migrate(db.db, db.dialect, [...migrations, step(latest + 1), step(latest + 1)]), /duplicate/);
});

forEachDialect(t, 'a database from a newer release is refused', async (t, target) => {
  const s = await target.open();
  await s.close();
  // Simulate the next release: one more migration applied by "newer code".
  const db = openDatabase(target.options);
  const latest = latestVersion(migrations);
  const next = { version: latest + 1, name: 'from-the-future', up: async () => undefined };
  t.same(await migrate(db.db, db.dialect, [...migrations, next]), [latest + 1]);
  await db.close();

  const err = await Store.open(target.options).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof SchemaTooNewError, 'Store.open refuses');
  t.match(
    (err as Error).message,
    new RegExp(`schema version ${latest + 1} is newer than this Switchboard understands \\(${latest}\\)`),
  );

  const env = {
    ...nodeChildEnv(),
    DATA_DIR: target.options.dataDir,
    ...(target.options.url ? { DATABASE_URL: target.options.url } : {}),
  };
  const res = await run(process.execPath, [adminJs, 'project', 'list'], { env }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  t.ok(res, 'the admin CLI exits non-zero');
  t.equal(res?.code, 1);
  t.match(res?.stderr ?? '', /newer than this Switchboard understands/);
  t.equal((res?.stderr ?? '').trim().split('\n').length, 1, 'in one line');

  // The server refuses before it listens on anything (timeout: a server that started anyway is killed).
  const srv = await run(process.execPath, [mainJs], {
    env: { ...env, LOG_LEVEL: 'silent', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', SIP_LISTEN: 'udp:127.0.0.1:0' },
    timeout: 60000,
  }).then(
    () => undefined,
    (e: { code: number | null; stderr: string }) => e,
  );
  t.equal(srv?.code, 1, 'npm start exits 1');
  t.match(
    srv?.stderr.trim() ?? '',
    /^switchboard: database schema version \d+ is newer than this Switchboard understands \(\d+\); upgrade Switchboard or point database.url at another database$/,
  );
});
