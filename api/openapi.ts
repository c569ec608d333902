/**
 * One registry of every API route's zod schemas, turned into an OpenAPI 3.1 document with zod's own
 * JSON Schema output. Routes register through `ApiRouter`, so the document cannot miss one.
 */
import { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type AuthMode = 'none' | 'any' | 'project' | 'user';

export interface RouteDoc {
  method: HttpMethod;
  /** Express path, e.g. `/api/v1/calls/:id`. */
  path: string;
  summary: string;
  tags?: string[];
  auth: AuthMode;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  status: number;
  /** Success body; absent for non-JSON answers (then `contentType` says what it is). */
  response?: z.ZodType;
  contentType?: string;
  /** Error statuses this route may answer, beyond those its auth mode implies. */
  errors?: number[];
}

type Json = Record<string, unknown>;

const errorSchema = z.object({ error: z.string() });
const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed request',
  401: 'Missing or invalid token',
  403: 'Authenticated but not yours',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  426: 'Upgrade required (a WebSocket endpoint)',
  422: 'Validation error (the message names the field)',
  429: 'Too many requests (see Retry-After)',
};

function jsonSchema(s: z.ZodType, io: 'input' | 'output'): Json {
  // OpenAPI 3.1's dialect is draft 2020-12 already; an embedded `$schema` only adds noise.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** `/api/v1/calls/:id` → `/api/v1/calls/{id}` */
export const openApiPath = (expressPath: string): string => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined): Json[] {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

const SECURITY: Record<AuthMode, Json[]> = {
  none: [],
  any: [{ bearer: [] }, { apiKey: [] }, { apiTokenQuery: [] }, { userTokenQuery: [] }],
  project: [{ bearer: [] }, { apiKey: [] }, { apiTokenQuery: [] }, { userTokenQuery: [] }],
  user: [{ bearer: [] }, { userTokenQuery: [] }],
};

export class OpenApiRegistry {
  private readonly routes: RouteDoc[] = [];

  add(doc: RouteDoc): void {
    if (this.routes.some((r) => r.method === doc.method && r.path === doc.path))
      throw new Error(`route registered twice: ${doc.method.toUpperCase()} ${doc.path}`);
    this.routes.push(doc);
  }

  list(): readonly RouteDoc[] {
    return this.routes;
  }

  document(info: { title: string; version: string }): Json {
    const paths: Record<string, Record<string, Json>> = {};
    for (const r of this.routes) {
      const responses: Record<string, Json> = {
        [String(r.status)]: {
          description: 'Success',
          ...(r.response
            ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } }
            : r.contentType
              ? { content: { [r.contentType]: {} } }
              : {}),
        },
      };
      const errs = new Set(r.errors ?? []);
      if (r.auth !== 'none') {
        errs.add(401);
        errs.add(403);
      }
      if (r.body || r.query || r.params) errs.add(422);
      if (r.body) errs.add(400);
      for (const code of [...errs].sort()) {
        responses[String(code)] = {
          description: ERROR_TEXT[code] ?? 'Error',
          content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } },
        };
      }
      const op: Json = {
        summary: r.summary,
        operationId: `${r.method}${r.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
        ...(r.tags ? { tags: r.tags } : {}),
        parameters: [...parameters('path', r.params), ...parameters('query', r.query)],
        ...(r.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } }
          : {}),
        responses,
        security: SECURITY[r.auth],
      };
      const key = openApiPath(r.path);
      paths[key] = { ...paths[key], [r.method]: op };
    }
    return {
      openapi: '3.1.0',
      info,
      paths,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A project API token (sbp_…) or a user token (sbu_…)' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          apiTokenQuery: { type: 'apiKey', in: 'query', name: 'api_token' },
          userTokenQuery: { type: 'apiKey', in: 'query', name: 'user_token' },
        },
      },
    };
  }
}
