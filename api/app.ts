import express, { type Express } from 'express';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Store } from '../src/store/index.js';
import type { AccountService } from '../src/accounts/account-service.js';
import { OpenApiRegistry } from './openapi.js';
import { ApiRouter } from './route.js';
import { RateLimiter } from './rate-limit.js';
import { errorMiddleware } from './errors.js';
import { DOCS_CSP, DOCS_HTML } from './docs-page.js';
import type { ApiContext, RouteModule } from './context.js';
import { accountRoutes } from './routers/account.js';
import { numberRoutes } from './routers/numbers.js';
import { webhookRoutes } from './routers/webhooks.js';
import { recordingRoutes } from './routers/recordings.js';
import type { RecordingLinks } from '../src/events/recording-links.js';

export interface HttpDeps {
  /** Only what /health reports (the CallRegistry and MediaServer in production). */
  calls: { readonly size: number };
  media: { stats(): unknown };
  logger: Logger;
  store: Store;
  accounts: AccountService;
  /** Sign-up/confirm requests per source address per minute. */
  authAttemptsPerMinute: number;
  /** `webhooks.allowPrivateTargets` (default false). */
  allowPrivateWebhookTargets?: boolean;
  recordingLinks?: RecordingLinks;
}

/** Every resource's routes, in mount order. Add a module here to put it on the API. */
export const ROUTE_MODULES: readonly RouteModule[] = [accountRoutes, numberRoutes, webhookRoutes, recordingRoutes];

export interface HttpApp { app: Express; registry: OpenApiRegistry }

/** The HTTP face of the platform: health, the REST API with its OpenAPI document, the browser test phone. */
export function createHttpApp(deps: HttpDeps): Express {
  return buildHttpApp(deps).app;
}

export function buildHttpApp(deps: HttpDeps): HttpApp {
  const app = express();
  app.disable('x-powered-by');
  const registry = new OpenApiRegistry();
  const api = new ApiRouter(deps.store, registry);
  const ctx: ApiContext = {
    store: deps.store, accounts: deps.accounts, logger: deps.logger, authLimiter: new RateLimiter(deps.authAttemptsPerMinute),
    allowPrivateWebhookTargets: deps.allowPrivateWebhookTargets ?? false, recordingLinks: deps.recordingLinks,
  };

  api.route({
    method: 'get', path: '/health', summary: 'Liveness, active calls and media load', tags: ['meta'], auth: 'none',
    response: z.object({ status: z.literal('ok'), calls: z.number().int(), media: z.unknown() }),
    handler: () => ({ status: 'ok' as const, calls: deps.calls.size, media: deps.media.stats() }),
  });
  api.route({
    method: 'get', path: '/api/openapi.json', summary: 'This API as an OpenAPI 3.1 document', tags: ['meta'], auth: 'none',
    response: z.record(z.string(), z.unknown()),
    handler: () => registry.document({ title: 'Switchboard API', version: '0.1.0' }),
  });
  api.route({
    method: 'get', path: '/api/docs', summary: 'Browsable API reference', tags: ['meta'], auth: 'none', contentType: 'text/html',
    handler: ({ res }) => { res.set('Content-Security-Policy', DOCS_CSP).type('html').send(DOCS_HTML); return undefined; },
  });
  for (const mount of ROUTE_MODULES) mount(api, ctx);

  app.use('/api', express.json({ limit: '100kb' }));
  app.use(api.router);
  // Built by esbuild into dist/widget; this file runs from dist/api.
  const widgetDir = resolve(dirname(fileURLToPath(import.meta.url)), '../widget/test-phone');
  if (existsSync(widgetDir)) app.use('/test-phone', express.static(widgetDir));
  app.use((_req, res) => { res.status(404).json({ error: 'not found' }); });
  app.use(errorMiddleware(deps.logger));
  return { app, registry };
}
