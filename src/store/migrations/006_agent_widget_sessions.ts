/** Voylo agent-widget sessions: a short-lived browser credential for one agent, kept only as its SHA-256. */
import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { Migration } from '../migrator.js';
import { withId } from './columns.js';

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const s = db.schema;
  await withId(s.createTable('agent_widget_sessions'), dialect)
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('agent_id', 'integer', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    /** Hex SHA-256 of the `voywt_` token: a leaked database cannot replay a live session. */
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('agent_widget_sessions_agent').on('agent_widget_sessions').column('agent_id').execute();
}

export const agentWidgetSessions: Migration = {
  version: 6,
  name: 'agent_widget_sessions',
  up: (db, dialect) => up(db as Kysely<unknown>, dialect),
};
