import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { nowIso } from '../secrets.js';

export const WIDGET_UPLOAD_ID_PREFIX = 'up_';

/** An attachment a visitor uploaded; its bytes are a file named `storageName` under the uploads folder. */
export interface WidgetUpload {
  id: number;
  publicId: string;
  projectId: number;
  sessionId: number;
  fileName: string;
  contentType: string;
  size: number;
  storageName: string;
  createdAt: string;
}

type Row = {
  id: number;
  public_id: string;
  project_id: number;
  session_id: number;
  file_name: string;
  content_type: string;
  size: number;
  storage_name: string;
  created_at: string;
};
const toUpload = (r: Row): WidgetUpload => ({
  id: r.id,
  publicId: r.public_id,
  projectId: r.project_id,
  sessionId: r.session_id,
  fileName: r.file_name,
  contentType: r.content_type,
  size: Number(r.size),
  storageName: r.storage_name,
  createdAt: r.created_at,
});

export class WidgetUploadRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async create(u: Omit<WidgetUpload, 'id' | 'publicId' | 'createdAt'>): Promise<WidgetUpload> {
    const r = await this.db
      .insertInto('widget_uploads')
      .values({
        public_id: WIDGET_UPLOAD_ID_PREFIX + randomBytes(12).toString('base64url'),
        project_id: u.projectId,
        session_id: u.sessionId,
        file_name: u.fileName,
        content_type: u.contentType,
        size: u.size,
        storage_name: u.storageName,
        created_at: nowIso(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toUpload(r);
  }

  /** Uploads of one session. */
  async ofSession(sessionId: number): Promise<WidgetUpload[]> {
    const rows = await this.db.selectFrom('widget_uploads').selectAll().where('session_id', '=', sessionId).execute();
    return rows.map(toUpload);
  }

  /** Uploads whose session has ended (revoked, or expired by `now`), oldest first. */
  async ofEndedSessions(now: string, limit: number): Promise<WidgetUpload[]> {
    const rows = await this.db
      .selectFrom('widget_uploads')
      .innerJoin('widget_sessions', 'widget_sessions.id', 'widget_uploads.session_id')
      .selectAll('widget_uploads')
      .where((eb) => eb.or([eb('widget_sessions.revoked_at', 'is not', null), eb('widget_sessions.expires_at', '<=', now)]))
      .orderBy('widget_uploads.id')
      .limit(limit)
      .execute();
    return rows.map(toUpload);
  }

  /** Which of these storage names still have a row (the rest are files nobody can reach). */
  async knownStorageNames(names: readonly string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows = await this.db.selectFrom('widget_uploads').select('storage_name').where('storage_name', 'in', names).execute();
    return new Set(rows.map((r) => r.storage_name));
  }

  /** Deletes the rows (messages keep their text; their attachment becomes null). */
  async delete(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.db.deleteFrom('widget_uploads').where('id', 'in', ids).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async findByPublicId(publicId: string): Promise<WidgetUpload | undefined> {
    const r = await this.db.selectFrom('widget_uploads').selectAll().where('public_id', '=', publicId).executeTakeFirst();
    return r && toUpload(r);
  }
}
