/**
 * Call-flow callback failures on the call record: one row per callback request that did not get a
 * usable answer at its URL (timeout, non-2xx, bad JSON...), with what the fallback URL did and
 * what the call did next. A call makes at most `maxCallbacks` requests, so its rows are bounded.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { Migration } from '../migrator.js';
import { withId } from './columns.js';

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const s = db.schema;
  await withId(s.createTable('call_callback_failures'), dialect)
    .addColumn('call_id', 'integer', (c) => c.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('at', 'text', (c) => c.notNull())
    /** The request's `type`: init_call, actions_complete, redirect, call_ended. */
    .addColumn('callback_type', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('fallback_url', 'text')
    /** Null when the fallback answered (or none was tried). */
    .addColumn('fallback_error', 'text')
    /** fallback_answered | error_prompt | not_delivered | call_ended | redirected */
    .addColumn('outcome', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('call_callback_failures_call').on('call_callback_failures').column('call_id').execute();
}

export const callbackFailures: Migration = {
  version: 10,
  name: 'call_callback_failures',
  up: (db, dialect) => up(db as Kysely<unknown>, dialect),
};
