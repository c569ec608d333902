/**
 * A counter every change to who a project token is bumps (a revocation, new scopes, a renamed or
 * deleted project), written by triggers so that no writer can forget it: the admin CLI, another
 * server, a hand-typed UPDATE. A server caching token principals on PostgreSQL reads it a few
 * times a second and empties its cache when it moved (SQLite's `data_version` does this for the
 * embedded file). `last_used_at`, written once a minute per token in use, does not bump it.
 */
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { Migration } from '../migrator.js';

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('change_counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`insert into change_counters (name, value) values ('principals', 0)`.execute(db);
  const watched = [
    { table: 'api_tokens', columns: 'revoked_at, scopes, project_id, token_hash' },
    { table: 'projects', columns: 'name' },
  ];
  if (dialect === 'postgres') {
    await sql`create function bump_principals() returns trigger language plpgsql as $$
      begin
        update change_counters set value = value + 1 where name = 'principals';
        return null;
      end $$`.execute(db);
    for (const w of watched)
      await sql`${sql.raw(`create trigger ${w.table}_principals after update of ${w.columns} or delete on ${w.table}`)}
        for each statement execute function bump_principals()`.execute(db);
    return;
  }
  const bump = `update change_counters set value = value + 1 where name = 'principals';`;
  for (const w of watched) {
    await sql
      .raw(`create trigger ${w.table}_principals_update after update of ${w.columns} on ${w.table} begin ${bump} end`)
      .execute(db);
    await sql.raw(`create trigger ${w.table}_principals_delete after delete on ${w.table} begin ${bump} end`).execute(db);
  }
}

export const principalGeneration: Migration = {
  version: 11,
  name: 'principal_generation',
  up: (db, dialect) => up(db as Kysely<unknown>, dialect),
};
