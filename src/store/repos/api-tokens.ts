import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
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
  constructor(private readonly db: Kysely<DB>) {}

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
    const r = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', sha256Hex(token))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!r) return undefined;
    // Recorded at most once a minute: a busy integration must not turn every read into a write.
    if (!r.last_used_at || Date.parse(r.last_used_at) < Date.now() - 60_000) {
      const at = nowIso();
      await this.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', r.id).execute();
      return toToken({ ...r, last_used_at: at });
    }
    return toToken(r);
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
