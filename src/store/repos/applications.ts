import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { nowIso } from '../secrets.js';

/** What answers a call automatically (a call-flow callback or an audio stream); fleshed out with issue 10. */
export interface Application {
  id: number;
  projectId: number;
  name: string;
  callbackUrl: string | null;
  callbackMethod: string | null;
  createdAt: string;
}

type Row = { id: number; project_id: number; name: string; callback_url: string | null; callback_method: string | null; created_at: string };
const toApp = (r: Row): Application => ({
  id: r.id, projectId: r.project_id, name: r.name, callbackUrl: r.callback_url, callbackMethod: r.callback_method, createdAt: r.created_at,
});

export class ApplicationRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async create(a: { projectId: number; name: string; callbackUrl?: string; callbackMethod?: string }): Promise<Application> {
    const r = await this.db.insertInto('applications').values({
      project_id: a.projectId, name: a.name, callback_url: a.callbackUrl ?? null, callback_method: a.callbackMethod ?? null, created_at: nowIso(),
    }).returningAll().executeTakeFirstOrThrow();
    return toApp(r);
  }

  /** Any project's application: callers compare `projectId` to answer 403 for a foreign id. */
  async get(id: number): Promise<Application | undefined> {
    const r = await this.db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toApp(r);
  }

  async list(projectId: number): Promise<Application[]> {
    return (await this.db.selectFrom('applications').selectAll().where('project_id', '=', projectId).orderBy('id').execute()).map(toApp);
  }
}
