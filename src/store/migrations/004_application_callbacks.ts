/** An application's whole callback configuration: body format, fallback and status-callback URLs. */
import type { Kysely } from 'kysely';
import type { Migration } from '../migrator.js';

async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema;
  /** json | form | query; null reads as json. */
  await s.alterTable('applications').addColumn('callback_format', 'text').execute();
  await s.alterTable('applications').addColumn('fallback_url', 'text').execute();
  await s.alterTable('applications').addColumn('status_callback_url', 'text').execute();
  await s.alterTable('applications').addColumn('updated_at', 'text').execute();
}

export const applicationCallbacks: Migration = {
  version: 4,
  name: 'application_callbacks',
  up: (db) => up(db as Kysely<unknown>),
};
