/**
 * A number's own call-flow callback configuration (Voxology's "Inherit Default Callback
 * Configuration from Application" toggle): one row per number that has ever been configured;
 * `inherit` 1 means the number's application decides, whatever the other columns hold.
 */
import type { Kysely } from 'kysely';
import type { Migration } from '../migrator.js';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('number_callbacks')
    .addColumn('number_id', 'integer', (c) => c.primaryKey().references('numbers.id').onDelete('cascade'))
    .addColumn('inherit', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('callback_url', 'text')
    /** GET | POST */
    .addColumn('callback_method', 'text', (c) => c.notNull())
    /** json | form | query */
    .addColumn('callback_format', 'text', (c) => c.notNull())
    .addColumn('fallback_url', 'text')
    .addColumn('status_callback_url', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export const numberCallbacks: Migration = {
  version: 5,
  name: 'number_callbacks',
  up: (db) => up(db as Kysely<unknown>),
};
