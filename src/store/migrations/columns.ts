/** Column shapes the migrations share; a migration's schema stays frozen, so only dialect glue lives here. */
import type { CreateTableBuilder } from 'kysely';
import type { DialectName } from '../database.js';

/** Integer ids that count up on both dialects. */
export function withId<T extends string>(t: CreateTableBuilder<T, never>, dialect: DialectName): CreateTableBuilder<T, 'id'> {
  return dialect === 'postgres'
    ? t.addColumn('id', 'serial', (c) => c.primaryKey())
    : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}
