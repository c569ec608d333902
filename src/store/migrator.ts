/**
 * Numbered migrations applied at start, each in its own transaction, recorded in
 * `schema_migrations`. A database migrated by a newer Switchboard is refused: running old code on
 * a newer schema would silently lose or corrupt data.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.js';
import type { DialectName } from './database.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<DB>, dialect: DialectName): Promise<void>;
}

export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `database schema version ${found} is newer than this Switchboard understands (${known}); upgrade Switchboard or point database.url at another database`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/** Any fixed key: every Switchboard node takes the same PostgreSQL advisory lock to migrate. */
const PG_MIGRATION_LOCK = 0x5b0a4d;

/**
 * Applies pending migrations; returns the versions applied now. Safe when several processes start
 * at once: PostgreSQL nodes serialise on an advisory lock, and each migration re-reads the version
 * inside its transaction, so one applied meanwhile is skipped rather than applied twice.
 */
export async function migrate(db: Kysely<DB>, dialect: DialectName, migrations: readonly Migration[]): Promise<number[]> {
  if (dialect === 'sqlite') {
    // One write transaction taken up front (IMMEDIATE waits out another process's, busy_timeout
    // bounds the wait); a deferred one could read a stale version and then fail to upgrade its lock.
    return db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const applied = await migrateOn(conn, dialect, migrations, false);
        await sql`commit`.execute(conn);
        return applied;
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw err;
      }
    });
  }
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${PG_MIGRATION_LOCK})`.execute(conn);
    try {
      return await migrateOn(conn, dialect, migrations, true);
    } finally {
      await sql`select pg_advisory_unlock(${PG_MIGRATION_LOCK})`.execute(conn);
    }
  });
}

/** `ownTransactions`: one transaction per migration; false when the caller already holds one for all. */
async function migrateOn(
  db: Kysely<DB>,
  dialect: DialectName,
  migrations: readonly Migration[],
  ownTransactions: boolean,
): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  // Numbers are handed out ahead of time to work that lands in any order, so a gap is allowed
  // (a later merge fills it); a duplicate is not.
  sorted.forEach((m, i) => {
    if (m.version < 1 || (i > 0 && m.version === sorted[i - 1]!.version))
      throw new Error(`migration numbering has a duplicate or invalid version at ${m.version}`);
  });
  await db.schema
    .createTable('schema_migrations')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
  const known = latestVersion(sorted);
  const current = await schemaVersion(db);
  if (current > known) throw new SchemaTooNewError(current, known);
  // Every migration not yet recorded runs, even one numbered below the newest applied: a gap filled
  // by a later merge must still reach databases that were migrated before it landed.
  const done = await appliedVersions(db);
  const applied: number[] = [];
  for (const m of sorted.filter((x) => !done.has(x.version))) {
    const step = async (trx: Kysely<DB>): Promise<boolean> => {
      if ((await appliedVersions(trx)).has(m.version)) return false;
      await m.up(trx, dialect);
      await trx
        .insertInto('schema_migrations')
        .values({ version: m.version, name: m.name, applied_at: new Date().toISOString() })
        .execute();
      return true;
    };
    const ran = ownTransactions ? await db.transaction().execute(step) : await step(db);
    if (ran) applied.push(m.version);
  }
  return applied;
}

/** The newest version in a list of migrations (0 for none). */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

async function appliedVersions(db: Kysely<DB>): Promise<Set<number>> {
  const rows = await db.selectFrom('schema_migrations').select('version').execute();
  return new Set(rows.map((r) => Number(r.version)));
}

export async function schemaVersion(db: Kysely<DB>): Promise<number> {
  const row = await db.selectFrom('schema_migrations').select(sql<number | null>`max(version)`.as('v')).executeTakeFirst();
  return row?.v === null || row?.v === undefined ? 0 : Number(row.v);
}
