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
  constructor(readonly found: number, readonly known: number) {
    super(`database schema version ${found} is newer than this Switchboard understands (${known}); upgrade Switchboard or point database.url at another database`);
    this.name = 'SchemaTooNewError';
  }
}

/** Applies pending migrations; returns the versions applied now. */
export async function migrate(db: Kysely<DB>, dialect: DialectName, migrations: readonly Migration[]): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => { if (m.version !== i + 1) throw new Error(`migration numbering has a gap or duplicate at ${m.version}`); });
  await db.schema.createTable('schema_migrations').ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
  const row = await db.selectFrom('schema_migrations').select(sql<number | null>`max(version)`.as('v')).executeTakeFirst();
  const current = row?.v === null || row?.v === undefined ? 0 : Number(row.v);
  const known = sorted.length;
  if (current > known) throw new SchemaTooNewError(current, known);
  const applied: number[] = [];
  for (const m of sorted.filter((x) => x.version > current)) {
    await db.transaction().execute(async (trx) => {
      await m.up(trx, dialect);
      await trx.insertInto('schema_migrations').values({ version: m.version, name: m.name, applied_at: new Date().toISOString() }).execute();
    });
    applied.push(m.version);
  }
  return applied;
}

export async function schemaVersion(db: Kysely<DB>): Promise<number> {
  const row = await db.selectFrom('schema_migrations').select(sql<number | null>`max(version)`.as('v')).executeTakeFirst();
  return row?.v === null || row?.v === undefined ? 0 : Number(row.v);
}
