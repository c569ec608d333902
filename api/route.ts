/**
 * `ApiRouter`: declare a route once (method, path, zod schemas, auth, handler) and it is mounted on
 * Express, validated, authenticated, scoped to its project, and listed in the OpenAPI document.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { Project, Store } from '../src/store/index.js';
import { authenticate, checkScope, projectOf, type Principal } from './auth.js';
import { forbidden, tooManyRequests, unprocessable, zodMessage } from './errors.js';
import type { AuthMode, HttpMethod, OpenApiRegistry } from './openapi.js';
import type { RateLimiter } from './rate-limit.js';

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * An answer a hot route wrote as JSON text itself (the shape `response` declares, byte for byte
 * what JSON.stringify would write of it); sent as it is.
 */
export class JsonText {
  constructor(readonly text: string) {}
}
type Answer<R> = (R extends z.ZodType ? z.input<R> : unknown) | JsonText | undefined;

export interface RouteContext<P, Q, B, A extends AuthMode> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
  /** The caller; undefined only on `auth: 'none'` routes. */
  auth: A extends 'none' ? undefined : Principal;
  /** The project the request acts on; set on `auth: 'project'` routes (a project token's project, or the user's). */
  project: A extends 'project' ? Project : undefined;
}

export interface RouteSpec<
  P extends z.ZodObject | undefined,
  Q extends z.ZodObject | undefined,
  B extends z.ZodType | undefined,
  R extends z.ZodType | undefined,
  A extends AuthMode,
> {
  method: HttpMethod;
  path: string;
  summary: string;
  tags?: string[];
  auth: A;
  /** Required scope for project tokens that carry scopes. */
  scope?: string;
  /** Counted per source address before anything else runs. */
  rateLimit?: RateLimiter;
  params?: P;
  query?: Q;
  body?: B;
  /** Success status (default 200). */
  status?: number;
  response?: R;
  /** For non-JSON answers the handler writes itself (then it returns undefined). */
  contentType?: string;
  errors?: number[];
  /**
   * Writes the handler's answer as JSON text, for hot routes whose answer has a fixed shape; it
   * must write what JSON.stringify would (default: JSON.stringify).
   */
  serialize?: (out: R extends z.ZodType ? z.input<R> : unknown) => string;
  /** Returns the body to send as JSON with `status`, or undefined after answering through `ctx.res`. */
  handler(ctx: RouteContext<Infer<P>, Infer<Q>, Infer<B>, A>): Promise<Answer<R>> | Answer<R>;
}

// Only routes that declare a body parse one: a GET or a hangup skips the parser's checks.
const jsonBody = express.json({ limit: '100kb' });

function parse<S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (!r.success) throw unprocessable(zodMessage(r.error, where));
  return r.data;
}

export class ApiRouter {
  /** Mount this on the app (routes carry full paths, so mount at the root). */
  readonly router: Router = express.Router();

  constructor(
    private readonly store: Store,
    private readonly registry: OpenApiRegistry,
  ) {}

  route<
    P extends z.ZodObject | undefined = undefined,
    Q extends z.ZodObject | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
    R extends z.ZodType | undefined = undefined,
    A extends AuthMode = AuthMode,
  >(spec: RouteSpec<P, Q, B, R, A>): this {
    const status = spec.status ?? 200;
    this.registry.add({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      tags: spec.tags,
      auth: spec.auth,
      params: spec.params,
      query: spec.query,
      body: spec.body,
      status,
      response: spec.response,
      contentType: spec.contentType,
      errors: [...(spec.errors ?? []), ...(spec.rateLimit ? [429] : [])],
    });
    const handlers: RequestHandler[] = spec.body ? [jsonBody] : [];
    let noQuery: object | undefined;
    this.router[spec.method](spec.path, ...handlers, async (req, res) => {
      if (spec.rateLimit) {
        const wait = spec.rateLimit.hit(req.ip ?? req.socket.remoteAddress ?? '?');
        if (wait) throw tooManyRequests(wait);
      }
      let auth: Principal | undefined;
      let project: Project | undefined;
      if (spec.auth !== 'none') {
        auth = await authenticate(this.store, req);
        if (spec.auth === 'user' && auth.kind !== 'user') throw forbidden('forbidden: this route needs a user token');
        checkScope(auth, spec.scope);
        if (spec.auth === 'project') project = await projectOf(this.store, req, auth);
        req.auth = auth;
        req.project = project;
      }
      const params = parse(spec.params, req.params, 'params');
      // Most list requests carry no query string: their defaults are parsed once.
      const query = !spec.query
        ? undefined
        : req.url.includes('?')
          ? parse(spec.query, req.query ?? {}, 'query')
          : { ...(noQuery ??= parse(spec.query, {}, 'query') as object) };
      const body = parse(spec.body, req.body ?? {}, 'body');
      const ctx = { params, query, body, req, res, auth, project } as RouteContext<Infer<P>, Infer<Q>, Infer<B>, A>;
      const out = await spec.handler(ctx);
      if (out === undefined || res.headersSent) return;
      // What res.json would send (no ETag, no JSON settings on this app), without its detours.
      const text =
        out instanceof JsonText
          ? out.text
          : spec.serialize
            ? spec.serialize(out as Parameters<typeof spec.serialize>[0])
            : JSON.stringify(out);
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
    });
    return this;
  }
}
