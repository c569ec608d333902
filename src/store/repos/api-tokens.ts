import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import type { Project } from './projects.js';
import { Prepared } from '../prepared.js';
import { PrincipalCache } from '../principal-cache.js';
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

export type TokenPrincipal = { token: ApiToken; project: Project };

/** Long enough to spare the lookups of a busy client, short next to `last_used_at`'s minute. */
export const PRINCIPAL_TTL_MS = 10_000;

/** Project API tokens: the plaintext leaves `create` once and is never stored. */
export class ApiTokenRepository {
  private readonly byHash: Prepared<{ hash: string }, Row & { project_name: string; project_created_at: string }>;
  private readonly cache?: PrincipalCache<TokenPrincipal>;

  /** `changeCounter` (see `Database`): without one, every lookup asks the database. */
  constructor(
    private readonly db: Kysely<DB>,
    changeCounter?: () => number | undefined,
  ) {
    if (changeCounter) this.cache = new PrincipalCache({ ttlMs: PRINCIPAL_TTL_MS, capacity: 10_000, changeCounter });
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
  async principal(token: string): Promise<TokenPrincipal | undefined> {
    const hash = sha256Hex(token);
    const cached = this.cache?.get(hash);
    if (cached) return cached;
    const ticket = this.cache?.ticket();
    const [r] = await this.byHash.execute({ hash });
    if (!r) return undefined;
    const project: Project = { id: r.project_id, name: r.project_name, createdAt: r.project_created_at };
    // Recorded at most once a minute: a busy integration must not turn every read into a write.
    const stale = !r.last_used_at || Date.parse(r.last_used_at) < Date.now() - 60_000;
    const found = frozen({ token: toToken(stale ? { ...r, last_used_at: nowIso() } : r), project });
    if (ticket) this.cache!.set(hash, found, ticket);
    if (stale)
      await this.db.updateTable('api_tokens').set({ last_used_at: found.token.lastUsedAt }).where('id', '=', r.id).execute();
    return found;
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
    // Before and after: a lookup running meanwhile neither keeps nor serves the live token.
    this.cache?.dropToken(id);
    const res = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: nowIso() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    this.cache?.dropToken(id);
    return Number(res.numUpdatedRows) > 0;
  }
}

/** Cached principals are shared by every request that presents the token. */
function frozen(p: TokenPrincipal): TokenPrincipal {
  Object.freeze(p.token.scopes);
  Object.freeze(p.token);
  Object.freeze(p.project);
  return Object.freeze(p);
}
