/** The API's one error shape, `{"error": "..."}`, and the middleware that maps anything thrown to it. */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const unauthorized = (msg = 'missing or invalid token'): ApiError => new ApiError(401, msg);
export const forbidden = (msg = 'forbidden: this resource belongs to another project'): ApiError => new ApiError(403, msg);
export const notFound = (what = 'resource'): ApiError => new ApiError(404, `${what} not found`);
export const unprocessable = (msg: string): ApiError => new ApiError(422, msg);
export const tooManyRequests = (retryAfterS: number): ApiError =>
  new ApiError(429, 'too many requests; retry later', { 'Retry-After': String(retryAfterS) });

/**
 * A project-scoped lookup: absent is 404, another project's is 403 (never the resource itself).
 * Use it on every `get(id)` result in a project route.
 */
export function ownedBy<T extends { projectId: number | null }>(projectId: number, row: T | undefined, what: string): T {
  if (!row) throw notFound(what);
  if (row.projectId !== projectId) throw forbidden(`forbidden: this ${what} belongs to another project`);
  return row;
}

/** `field: message` for the first zod issue, with the field's dotted path (the part named by `where` when the path is empty). */
export function zodMessage(err: z.ZodError, where: string): string {
  const issue = err.issues[0];
  if (!issue) return `${where}: invalid`;
  const path = issue.path.length ? issue.path.map(String).join('.') : where;
  return `${path}: ${issue.message}`;
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof ApiError) {
      res.set(err.headers).status(err.status).json({ error: err.message });
      return;
    }
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'body: malformed JSON' });
      return;
    }
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: 'body: too large' });
      return;
    }
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      res.status(415).json({ error: 'body: unsupported encoding' });
      return;
    }
    logger.error({ err }, 'API handler failed');
    res.status(500).json({ error: 'internal error' });
  };
}
