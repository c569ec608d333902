import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { nowIso, sha256Hex } from '../secrets.js';

export const WIDGET_SESSION_ID_PREFIX = 'ws_';

/** A visitor's chat session on a widget. The bearer token itself is never stored. */
export interface WidgetSession {
  id: number;
  publicId: string;
  projectId: number;
  widgetId: number;
  /** The widget's public id (what the embed snippet names). */
  widgetPublicId: string;
  email: string;
  displayName: string;
  expiresAt: string;
  revokedAt: string | null;
  lastMessageAt: string | null;
  createdAt: string;
}

export interface WidgetSessionQuery {
  widgetId?: number;
  /** Only sessions neither revoked nor expired at `now`. */
  activeAt?: string;
  limit?: number;
  offset?: number;
}

const COLUMNS = [
  'widget_sessions.id',
  'widget_sessions.public_id',
  'widget_sessions.project_id',
  'widget_sessions.widget_id',
  'widgets.public_id as widget_public_id',
  'widget_sessions.email',
  'widget_sessions.display_name',
  'widget_sessions.expires_at',
  'widget_sessions.revoked_at',
  'widget_sessions.last_message_at',
  'widget_sessions.created_at',
] as const;

interface Row {
  id: number;
  public_id: string;
  project_id: number;
  widget_id: number;
  widget_public_id: string;
  email: string;
  display_name: string;
  expires_at: string;
  revoked_at: string | null;
  last_message_at: string | null;
  created_at: string;
}

const toSession = (r: Row): WidgetSession => ({
  id: r.id,
  publicId: r.public_id,
  projectId: r.project_id,
  widgetId: r.widget_id,
  widgetPublicId: r.widget_public_id,
  email: r.email,
  displayName: r.display_name,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastMessageAt: r.last_message_at,
  createdAt: r.created_at,
});

/** Long enough not to be guessed, though a session id alone grants nothing. */
const newPublicId = (): string => WIDGET_SESSION_ID_PREFIX + randomBytes(12).toString('base64url');

export class WidgetSessionRepository {
  constructor(private readonly db: Kysely<DB>) {}

  private select() {
    return this.db.selectFrom('widget_sessions').innerJoin('widgets', 'widgets.id', 'widget_sessions.widget_id').select(COLUMNS);
  }

  async create(s: {
    projectId: number;
    widgetId: number;
    email: string;
    displayName: string;
    token: string;
    expiresAt: string;
  }): Promise<WidgetSession> {
    const { id } = await this.db
      .insertInto('widget_sessions')
      .values({
        public_id: newPublicId(),
        project_id: s.projectId,
        widget_id: s.widgetId,
        email: s.email,
        display_name: s.displayName,
        token_hash: sha256Hex(s.token),
        expires_at: s.expiresAt,
        revoked_at: null,
        last_message_at: null,
        created_at: nowIso(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.get(id))!;
  }

  async get(id: number): Promise<WidgetSession | undefined> {
    const r = await this.select().where('widget_sessions.id', '=', id).executeTakeFirst();
    return r && toSession(r);
  }

  async findByPublicId(publicId: string): Promise<WidgetSession | undefined> {
    const r = await this.select().where('widget_sessions.public_id', '=', publicId).executeTakeFirst();
    return r && toSession(r);
  }

  /** The session a presented token belongs to (looked up by its hash), live or not. */
  async findByToken(token: string): Promise<WidgetSession | undefined> {
    const r = await this.select().where('widget_sessions.token_hash', '=', sha256Hex(token)).executeTakeFirst();
    return r && toSession(r);
  }

  /** A project's sessions, the most recently active first. */
  async page(projectId: number, q: WidgetSessionQuery = {}): Promise<{ sessions: WidgetSession[]; hasMore: boolean }> {
    const limit = q.limit ?? 50;
    let query = this.select().where('widget_sessions.project_id', '=', projectId);
    if (q.widgetId !== undefined) query = query.where('widget_sessions.widget_id', '=', q.widgetId);
    if (q.activeAt !== undefined)
      query = query.where('widget_sessions.revoked_at', 'is', null).where('widget_sessions.expires_at', '>', q.activeAt);
    const rows = await query
      .orderBy(sql`coalesce(widget_sessions.last_message_at, widget_sessions.created_at)`, 'desc')
      .orderBy('widget_sessions.id', 'desc')
      .limit(limit + 1)
      .offset(q.offset ?? 0)
      .execute();
    return { sessions: rows.slice(0, limit).map(toSession), hasMore: rows.length > limit };
  }

  /** Marks the session revoked; false when it already was. */
  async revoke(id: number): Promise<boolean> {
    const r = await this.db
      .updateTable('widget_sessions')
      .set({ revoked_at: nowIso() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
