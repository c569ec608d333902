/**
 * Who is calling: a project API token (Bearer, `x-api-key`, `?api_token=`) or a user token
 * (Bearer or `?user_token=`). Tokens are looked up by their SHA-256, so lookup time says nothing
 * about how much of a guess was right.
 */
import type { Request, RequestHandler } from 'express';
import type { ApiToken, Project, Store, User } from '../src/store/index.js';
import { USER_TOKEN_PREFIX } from '../src/store/index.js';
import { forbidden, unauthorized } from './errors.js';

export type Principal = { kind: 'project'; project: Project; token: ApiToken } | { kind: 'user'; user: User };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `requireProject` and by every authenticated `ApiRouter` route. */
      auth?: Principal;
      /** Set by `requireProject` and by `ApiRouter` routes with `auth: 'project'`. */
      project?: Project;
    }
  }
}

function single(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The presented token and which kind the caller said it is, if any. */
export function presentedToken(
  req: Request,
): { token: string; via: 'bearer' | 'header' | 'api_token' | 'user_token' } | undefined {
  const authz = req.get('authorization');
  const bearer = authz?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return { token: bearer, via: 'bearer' };
  const key = single(req.get('x-api-key'));
  if (key) return { token: key, via: 'header' };
  const q = req.query as Record<string, unknown>;
  const apiToken = single(q.api_token);
  if (apiToken) return { token: apiToken, via: 'api_token' };
  const userToken = single(q.user_token);
  if (userToken) return { token: userToken, via: 'user_token' };
  return undefined;
}

/** Resolves the caller or throws 401. */
export async function authenticate(store: Store, req: Request): Promise<Principal> {
  const p = presentedToken(req);
  if (!p || p.token.length > 200) throw unauthorized();
  const isUserToken = p.via === 'user_token' || (p.via === 'bearer' && p.token.startsWith(USER_TOKEN_PREFIX));
  if (isUserToken) {
    const user = await store.users.authenticate(p.token);
    if (!user) throw unauthorized();
    return { kind: 'user', user };
  }
  const found = await store.apiTokens.principal(p.token);
  if (!found) throw unauthorized();
  return { kind: 'project', project: found.project, token: found.token };
}

/**
 * The project a request acts on. A project token is its project. A user token acts on the user's
 * project; a user in several names one with `X-Project-Id` (or `?project_id=`), else 403.
 */
export async function projectOf(store: Store, req: Request, who: Principal): Promise<Project> {
  if (who.kind === 'project') return who.project;
  const mine = await store.projects.ofUser(who.user.id);
  const asked = single(req.get('x-project-id')) ?? single((req.query as Record<string, unknown>).project_id);
  if (asked !== undefined) {
    const p = mine.find((m) => String(m.id) === asked);
    if (!p) throw forbidden('forbidden: not a member of this project');
    return p;
  }
  if (mine.length === 1) return mine[0]!;
  throw forbidden(
    mine.length ? 'forbidden: member of several projects; name one with X-Project-Id' : 'forbidden: not a member of any project',
  );
}

/** A token with scopes may only use routes needing one of them; a token without scopes may use all. */
export function checkScope(who: Principal, scope: string | undefined): void {
  if (!scope || who.kind !== 'project' || who.token.scopes.length === 0) return;
  if (!who.token.scopes.includes(scope)) throw forbidden(`forbidden: token lacks the scope ${scope}`);
}

/**
 * Plain Express middleware for handlers outside `ApiRouter` (uploads, streaming answers): 401
 * without a valid token, 403 without a project, else `req.auth` and `req.project` are set.
 * Mount `errorMiddleware` after it so the errors answer `{"error": "..."}`.
 */
export function requireProject(store: Store): RequestHandler {
  return (req, _res, next) => {
    authenticate(store, req)
      .then(async (who) => {
        req.auth = who;
        req.project = await projectOf(store, req, who);
      })
      .then(() => next(), next);
  };
}
