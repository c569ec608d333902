import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import type { Project } from './projects.js';
import { Prepared } from '../prepared.js';
import { PROJECT_TOKEN_PREFIX, displayPrefix, newSecret, nowIso, sha256Hex } from '../secrets.js';

export interface ApiToken {
  id: number;
  projectId: number;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type Row = {
  id: number;
  project_id: number;
  prefix: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};
const toToken = (r: Row): ApiToken => ({
  id: r.id,
  projectId: r.project_id,
  prefix: r.prefix,
  scopes: JSON.parse(r.scopes) as string[],
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** Project API tokens: the plaintext leaves `create` once and is never stored. */
export class ApiTokenRepository {
  private readonly byHash: Prepared<{ hash: string }, Row & { project_name: string; project_created_at: string }>;

  constructor(private readonly db: Kysely<DB>) {
    this.byHash = new Prepared(
      db,
      ({ hash }) =>
        db
          .selectFrom('api_tokens')
          .innerJoin('projects', 'projects.id', 'api_tokens.project_id')
          .selectAll('api_tokens')
          .select(['projects.name as project_name', 'projects.created_at as project_created_at'])
          .where('api_tokens.token_hash', '=', hash)
          .where('api_tokens.revoked_at', 'is', null),
      ['hash'],
    );
  }

  async create(projectId: number, scopes: string[] = []): Promise<{ token: string; record: ApiToken }> {
    const token = newSecret(PROJECT_TOKEN_PREFIX);
    const r = await this.db
      .insertInto('api_tokens')
      .values({
        project_id: projectId,
        token_hash: sha256Hex(token),
        prefix: displayPrefix(token),
        scopes: JSON.stringify(scopes),
        created_at: nowIso(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { token, record: toToken(r) };
  }

  /** The live token with this plaintext, if any; marks it used. */
  async authenticate(token: string): Promise<ApiToken | undefined> {
    return (await this.principal(token))?.token;
  }

  /**
   * The live token with this plaintext and its project, in one query (every API request asks);
   * marks the token used.
   */
  async principal(token: string): Promise<{ token: ApiToken; project: Project } | undefined> {
    const [r] = await this.byHash.execute({ hash: sha256Hex(token) });
    if (!r) return undefined;
    const project: Project = { id: r.project_id, name: r.project_name, createdAt: r.project_created_at };
    // Recorded at most once a minute: a busy integration must not turn every read into a write.
    if (!r.last_used_at || Date.parse(r.last_used_at) < Date.now() - 60_000) {
      const at = nowIso();
      await this.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', r.id).execute();
      return { token: toToken({ ...r, last_used_at: at }), project };
    }
    return { token: toToken(r), project };
  }

  async get(id: number): Promise<ApiToken | undefined> {
    const r = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toToken(r);
  }

  async list(projectId: number): Promise<ApiToken[]> {
    return (await this.db.selectFrom('api_tokens').selectAll().where('project_id', '=', projectId).orderBy('id').execute()).map(
      toToken,
    );
  }

  /** True when a live token was revoked now. */
  async revoke(id: number): Promise<boolean> {
    const res = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: nowIso() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}
