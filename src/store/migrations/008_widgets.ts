/** Visitor web-call widgets: the public id in the script tag, looks, allowed domains, what a call reaches. */
import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { Migration } from '../migrator.js';
import { withId } from './columns.js';

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const s = db.schema;
  await withId(s.createTable('widgets'), dialect)
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    /** The id in the embed snippet; replaced by regenerate-key, so it is not the row id. */
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    /** Kept as is: it must verify HMAC-signed visitor email tokens. Readable only by the project's own API. */
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('greeting', 'text', (c) => c.notNull())
    .addColumn('primary_color', 'text', (c) => c.notNull())
    .addColumn('position', 'text', (c) => c.notNull())
    /** JSON array of host names; a visitor page on any other host is refused. */
    .addColumn('allowed_domains', 'text', (c) => c.notNull())
    /** JSON array of `voice` | `chat`. */
    .addColumn('modes', 'text', (c) => c.notNull())
    .addColumn('consent_required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('consent_text', 'text')
    /** number | application | null (no target: the launcher shows but calls fail). */
    .addColumn('target_kind', 'text')
    .addColumn('target_number', 'text')
    .addColumn('application_id', 'integer', (c) => c.references('applications.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('widgets_project').on('widgets').column('project_id').execute();
}

export const widgets: Migration = { version: 8, name: 'widgets', up: (db, dialect) => up(db as Kysely<unknown>, dialect) };
