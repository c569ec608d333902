/** Aurion visitor sessions and their chat: messages, and uploaded attachments (the bytes live under DATA_DIR). */
import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { Migration } from '../migrator.js';
import { withId } from './columns.js';

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const s = db.schema;
  await withId(s.createTable('widget_sessions'), dialect)
    /** The `ws_…` id visitors and the project's API name the session by. */
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('widget_id', 'integer', (c) => c.notNull().references('widgets.id').onDelete('cascade'))
    /** Verified by the email token's HMAC: the customer's site vouched for it. */
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    /** Hex SHA-256 of the bearer token: a leaked database cannot act as the visitor. */
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    /** Newest message's time, so agents see the liveliest conversations first. */
    .addColumn('last_message_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('widget_sessions_project').on('widget_sessions').columns(['project_id', 'id']).execute();

  await withId(s.createTable('widget_uploads'), dialect)
    /** The `up_…` id in download URLs; never a path. */
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('session_id', 'integer', (c) => c.notNull().references('widget_sessions.id').onDelete('cascade'))
    /** The visitor's file name, cleaned, for display and Content-Disposition only. */
    .addColumn('file_name', 'text', (c) => c.notNull())
    /** What the bytes are (sniffed), not what the browser said. */
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    /** Random name of the file under DATA_DIR/widget-uploads. */
    .addColumn('storage_name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('widget_uploads_session').on('widget_uploads').column('session_id').execute();

  await withId(s.createTable('widget_messages'), dialect)
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('session_id', 'integer', (c) => c.notNull().references('widget_sessions.id').onDelete('cascade'))
    /** visitor | agent */
    .addColumn('sender', 'text', (c) => c.notNull())
    /** The agent who replied, when one was named. */
    .addColumn('agent_id', 'integer', (c) => c.references('agents.id').onDelete('set null'))
    .addColumn('author', 'text')
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('upload_id', 'integer', (c) => c.references('widget_uploads.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('widget_messages_session').on('widget_messages').columns(['session_id', 'id']).execute();
}

export const widgetChat: Migration = { version: 9, name: 'widget_chat', up: (db, dialect) => up(db as Kysely<unknown>, dialect) };
