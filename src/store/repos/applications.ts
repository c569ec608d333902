import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { nowIso } from '../secrets.js';

export type CallbackMethod = 'GET' | 'POST';
export type CallbackFormat = 'json' | 'form' | 'query';

/** What answers a call automatically: a call-flow callback (URL, method, body format, fallback, status callback). */
export interface Application {
  id: number;
  projectId: number;
  name: string;
  callbackUrl: string | null;
  callbackMethod: CallbackMethod;
  callbackFormat: CallbackFormat;
  fallbackUrl: string | null;
  statusCallbackUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The fields an application's owner sets; `undefined` leaves a field as it is, `null` clears it. */
export interface ApplicationFields {
  name?: string;
  callbackUrl?: string | null;
  callbackMethod?: CallbackMethod;
  callbackFormat?: CallbackFormat;
  fallbackUrl?: string | null;
  statusCallbackUrl?: string | null;
}

type Row = {
  id: number;
  project_id: number;
  name: string;
  callback_url: string | null;
  callback_method: string | null;
  callback_format: string | null;
  fallback_url: string | null;
  status_callback_url: string | null;
  created_at: string;
  updated_at: string | null;
};
const toApp = (r: Row): Application => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  callbackUrl: r.callback_url,
  // Rows from before migration 3 hold no method/format (or a lower-case one): POST + JSON is the default.
  callbackMethod: r.callback_method?.toUpperCase() === 'GET' ? 'GET' : 'POST',
  callbackFormat: r.callback_format === 'form' || r.callback_format === 'query' ? r.callback_format : 'json',
  fallbackUrl: r.fallback_url,
  statusCallbackUrl: r.status_callback_url,
  createdAt: r.created_at,
  updatedAt: r.updated_at ?? r.created_at,
});

function columns(f: ApplicationFields) {
  return {
    ...(f.name !== undefined ? { name: f.name } : {}),
    ...(f.callbackUrl !== undefined ? { callback_url: f.callbackUrl } : {}),
    ...(f.callbackMethod !== undefined ? { callback_method: f.callbackMethod } : {}),
    ...(f.callbackFormat !== undefined ? { callback_format: f.callbackFormat } : {}),
    ...(f.fallbackUrl !== undefined ? { fallback_url: f.fallbackUrl } : {}),
    ...(f.statusCallbackUrl !== undefined ? { status_callback_url: f.statusCallbackUrl } : {}),
  };
}

export class ApplicationRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async create(a: ApplicationFields & { projectId: number; name: string }): Promise<Application> {
    const now = nowIso();
    const r = await this.db
      .insertInto('applications')
      .values({
        callback_url: null,
        callback_method: 'POST',
        callback_format: 'json',
        fallback_url: null,
        status_callback_url: null,
        ...columns(a),
        project_id: a.projectId,
        name: a.name,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApp(r);
  }

  /** Any project's application: callers compare `projectId` to answer 403 for a foreign id. */
  async get(id: number): Promise<Application | undefined> {
    const r = await this.db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toApp(r);
  }

  async list(projectId: number): Promise<Application[]> {
    return (await this.db.selectFrom('applications').selectAll().where('project_id', '=', projectId).orderBy('id').execute()).map(
      toApp,
    );
  }

  async count(projectId: number): Promise<number> {
    const r = await this.db
      .selectFrom('applications')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async update(id: number, f: ApplicationFields): Promise<Application | undefined> {
    await this.db
      .updateTable('applications')
      .set({ ...columns(f), updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }

  /** Numbers that pointed at it are left without a target (their calls get 404), in the same transaction. */
  async delete(id: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('numbers')
        .set({ target_kind: null, application_id: null })
        .where('application_id', '=', id)
        .execute();
      await trx.deleteFrom('applications').where('id', '=', id).execute();
    });
  }
}
