/** The first schema: tenants, credentials, agents, applications, numbers, calls. */
import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { Migration } from '../migrator.js';
import { withId } from './columns.js';

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const s = db.schema;
  await withId(s.createTable('projects'), dialect)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await withId(s.createTable('api_tokens'), dialect)
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await s.createIndex('api_tokens_project').on('api_tokens').column('project_id').execute();

  await withId(s.createTable('users'), dialect)
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('confirmed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('confirm_code_hash', 'text')
    .addColumn('confirm_expires_at', 'text')
    .addColumn('confirm_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await withId(s.createTable('user_tokens'), dialect)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();

  await s
    .createTable('project_members')
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_members_pk', ['project_id', 'user_id'])
    .execute();
  await s.createIndex('project_members_user').on('project_members').column('user_id').execute();

  await withId(s.createTable('agents'), dialect)
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text')
    .addColumn('email', 'text')
    .addColumn('sip_password', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('agents_project').on('agents').column('project_id').execute();

  await withId(s.createTable('applications'), dialect)
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('callback_url', 'text')
    .addColumn('callback_method', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('applications_project').on('applications').column('project_id').execute();

  await withId(s.createTable('numbers'), dialect)
    .addColumn('e164', 'text', (c) => c.notNull().unique())
    .addColumn('trunk', 'text')
    .addColumn('country', 'text')
    .addColumn('type', 'text')
    .addColumn('area_code', 'text')
    .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('set null'))
    .addColumn('target_kind', 'text')
    .addColumn('agent_id', 'integer', (c) => c.references('agents.id').onDelete('set null'))
    .addColumn('application_id', 'integer', (c) => c.references('applications.id').onDelete('set null'))
    .addColumn('forward_to', 'text')
    .addColumn('relay_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('numbers_project').on('numbers').column('project_id').execute();

  await withId(s.createTable('calls'), dialect)
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('from_number', 'text')
    .addColumn('to_number', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('sip_status', 'integer')
    .addColumn('reason', 'text')
    .addColumn('telephony_ref', 'text')
    .addColumn('cable_token_hash', 'text')
    .addColumn('recording_path', 'text')
    .addColumn('enable_recording', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enable_transcription', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enable_analysis', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('agent_id', 'integer')
    .addColumn('application_id', 'integer')
    .addColumn('number_id', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('answered_at', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('duration', 'integer')
    .addColumn('legs', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await s.createIndex('calls_project_created').on('calls').columns(['project_id', 'created_at']).execute();
  await s.createIndex('calls_telephony_ref').on('calls').column('telephony_ref').execute();

  await withId(s.createTable('call_events'), dialect)
    .addColumn('call_id', 'integer', (c) => c.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .execute();
  await s.createIndex('call_events_call').on('call_events').column('call_id').execute();
}

export const initial: Migration = { version: 1, name: 'initial', up: (db, dialect) => up(db as Kysely<unknown>, dialect) };
