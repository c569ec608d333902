/**
 * Indexes for the call list: a project's calls newest first (created_at, then id to break ties),
 * optionally filtered by status. With id in the index the page is read in index order and the
 * sort disappears; the status index serves `?status=` without scanning other statuses.
 */
import type { Kysely } from 'kysely';
import type { Migration } from '../migrator.js';

async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema;
  await s.createIndex('calls_project_created_id').on('calls').columns(['project_id', 'created_at', 'id']).execute();
  await s
    .createIndex('calls_project_status_created_id')
    .on('calls')
    .columns(['project_id', 'status', 'created_at', 'id'])
    .execute();
  // Superseded: every query it served is served by calls_project_created_id.
  await s.dropIndex('calls_project_created').execute();
}

export const callListIndexes: Migration = { version: 3, name: 'call_list_indexes', up: (db) => up(db as Kysely<unknown>) };
