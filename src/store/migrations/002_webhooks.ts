/** Webhooks and the transactional outbox: events, one delivery per (event, webhook), and every attempt. */
import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { Migration } from '../migrator.js';
import { withId } from './columns.js';

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const s = db.schema;
  await withId(s.createTable('webhooks'), dialect)
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('url', 'text', (c) => c.notNull())
    /** JSON array of event types; `["*"]` is every event. */
    .addColumn('events', 'text', (c) => c.notNull())
    /** Kept as is: it must sign. Readable only through the project's own API. */
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('webhooks_project').on('webhooks').column('project_id').execute();

  await withId(s.createTable('events'), dialect)
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('call_id', 'integer')
    /** The envelope as JSON: the exact body each delivery posts. */
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('events_project').on('events').columns(['project_id', 'id']).execute();

  await withId(s.createTable('webhook_deliveries'), dialect)
    .addColumn('event_row_id', 'integer', (c) => c.notNull().references('events.id').onDelete('cascade'))
    .addColumn('webhook_id', 'integer', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    /** Deliveries to one webhook with the same key go out in id order (one call's events). */
    .addColumn('ordering_key', 'text', (c) => c.notNull())
    /** pending | delivered | failed */
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  // Pending rows are read in id order (oldest first), so the scan stops after the batch it needs;
  // an index on next_attempt_at would tempt the planner into sorting the whole backlog instead.
  await s.createIndex('webhook_deliveries_pending').on('webhook_deliveries').columns(['state', 'id']).execute();
  await s
    .createIndex('webhook_deliveries_order')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'ordering_key', 'state', 'id'])
    .execute();

  await withId(s.createTable('webhook_attempts'), dialect)
    .addColumn('delivery_id', 'integer', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('webhook_id', 'integer', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('webhook_attempts_webhook').on('webhook_attempts').columns(['webhook_id', 'id']).execute();
}

export const webhooks: Migration = { version: 2, name: 'webhooks', up: (db, dialect) => up(db as Kysely<unknown>, dialect) };
