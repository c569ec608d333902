import express, { type Express, type Request } from 'express';
import { existsSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
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
import type { ApiContext, RouteModule, WidgetServices } from './context.js';
import type { PlatformHealth } from '../src/health.js';
import { accountRoutes } from './routers/account.js';
import { numberRoutes } from './routers/numbers.js';
import { callRoutes } from './routers/calls.js';
import type { ApiCalls } from '../src/calls/api-calls.js';

export interface HttpOptions {
  /** Show calls, workers and the SIP link on /health to anyone (otherwise only with the token). */
  healthDetails: boolean;
  /** `Authorization: Bearer <token>` on /health shows the details. */
  healthToken?: string;
  /** Serve the browser bundles' `*.map` files (they hold the source). */
  sourceMaps: boolean;
}
import { webhookRoutes } from './routers/webhooks.js';
import { recordingRoutes } from './routers/recordings.js';
import { applicationRoutes } from './routers/applications.js';
import { numberCallbackRoutes } from './routers/number-callbacks.js';
import { dialRoutes } from './routers/dials.js';
import type { FlowCalls } from '../src/calls/flow-calls.js';
import { voiceWidgetRoutes } from './routers/voice-widget.js';
import { widgetEmbedRoutes } from './routers/widget-embed.js';
import type { RecordingLinks } from '../src/events/recording-links.js';
import { embedRoutes, type EmbedDeps } from './routers/embed.js';
import { agentWidgetRoutes, type AgentWidgetDeps } from './routers/agent-widget.js';
import { widgetChatRoutes } from './routers/widget-chat.js';
import { widgetConversationRoutes } from './routers/widget-conversations.js';
import { widgetChatSocket } from './widget-chat-socket.js';
import { agentChatRoutes } from './routers/agent-chat.js';
import { agentChatSocket } from './agent-chat-socket.js';
import { serveUpgrades, type SocketEndpoint } from './upgrades.js';
import type { VisitorChat } from '../src/widgets/visitor-chat.js';
import type { Server } from 'node:http';

export interface HttpDeps {
  logger: Logger;
  store: Store;
  accounts: AccountService;
  /** Sign-up/confirm requests per source address per minute. */
  authAttemptsPerMinute: number;
  health: Pick<PlatformHealth, 'check'>;
  options: HttpOptions;
  /** The calls API's domain service (absent in API-only tests: call control answers 503). */
  apiCalls?: ApiCalls;
  /** Calls run by call flows (Dials/Connect, live-call modification); absent, those routes answer 503. */
  flowCalls?: FlowCalls;
  /** `webhooks.allowPrivateTargets` (default false). */
  allowPrivateWebhookTargets?: boolean;
  recordingLinks?: RecordingLinks;
  /** Embed sessions and the page's SIP WebSocket (absent in API-only tests). */
  embeds?: EmbedDeps;
  /** Visitor web calls (credentials, SIP WebSocket URL); absent in API-only tests. */
  widgets?: WidgetServices;
  /** Voylo agent-widget sessions and the softphone page's SIP WebSocket. */
  agentWidgets?: AgentWidgetDeps;
  /** Aurion's visitor chat (absent: the chat routes answer 503 and no socket is served). */
  chat?: VisitorChat;
}

/** Compares hashes so neither the token's length nor its prefix leaks through timing. */
function bearerMatches(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}

/** Every resource's routes, in mount order. Add a module here to put it on the API. */
export const ROUTE_MODULES: readonly RouteModule[] = [
  accountRoutes,
  numberRoutes,
  callRoutes,
  webhookRoutes,
  recordingRoutes,
  applicationRoutes,
  embedRoutes,
  numberCallbackRoutes,
  dialRoutes,
  voiceWidgetRoutes,
  widgetEmbedRoutes,
  agentWidgetRoutes,
  widgetChatRoutes,
  widgetConversationRoutes,
  agentChatRoutes,
];

export interface HttpApp {
  app: Express;
  registry: OpenApiRegistry;
  /** Serves the WebSocket endpoints on the listening server; returns what closes them. */
  attach(server: Server): () => void;
}

/** The HTTP face of the platform: health, the REST API with its OpenAPI document, the browser test phone. */
export function createHttpApp(deps: HttpDeps): Express {
  return buildHttpApp(deps).app;
}

export function buildHttpApp(deps: HttpDeps): HttpApp {
  const app = express();
  app.disable('x-powered-by');
  // API answers are per-request reads: hashing every body for an ETag costs more than it saves.
  app.set('etag', false);
  const registry = new OpenApiRegistry();
  const api = new ApiRouter(deps.store, registry);
  const ctx: ApiContext = {
    store: deps.store,
    accounts: deps.accounts,
    logger: deps.logger,
    authLimiter: new RateLimiter(deps.authAttemptsPerMinute),
    calls: deps.apiCalls,
    flowCalls: deps.flowCalls,
    allowPrivateWebhookTargets: deps.allowPrivateWebhookTargets ?? false,
    recordingLinks: deps.recordingLinks,
    embeds: deps.embeds,
    widgets: deps.widgets,
    agentWidgets: deps.agentWidgets,
    chat: deps.chat,
  };

  // Liveness for anyone (load balancers, container probes); counts only for operators.
  api.route({
    method: 'get',
    path: '/health',
    summary: 'Liveness; calls, workers and the SIP link for operators',
    tags: ['meta'],
    auth: 'none',
    handler: async ({ req, res }) => {
      const report = await deps.health.check();
      res.status(report.healthy ? 200 : 503).set('Cache-Control', 'no-store');
      const body = report.healthy ? { status: 'ok' } : { status: 'failing', failing: report.failing };
      const details = deps.options.healthDetails || bearerMatches(req, deps.options.healthToken);
      res.json(details ? { ...body, ...report.details } : body);
      return undefined;
    },
  });
  api.route({
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    tags: ['meta'],
    auth: 'none',
    response: z.record(z.string(), z.unknown()),
    handler: () => registry.document({ title: 'Switchboard API', version: '0.1.0' }),
  });
  api.route({
    method: 'get',
    path: '/api/docs',
    summary: 'Browsable API reference',
    tags: ['meta'],
    auth: 'none',
    contentType: 'text/html',
    handler: ({ res }) => {
      res.set('Content-Security-Policy', DOCS_CSP).type('html').send(DOCS_HTML);
      return undefined;
    },
  });
  for (const mount of ROUTE_MODULES) mount(api, ctx);

  // Bodies are parsed by the routes that declare one (ApiRouter), also on Voxology's /v1 surface.
  app.use(api.router);
  // Built by esbuild into dist/widget; this file runs from dist/api.
  const widgetDir = resolve(dirname(fileURLToPath(import.meta.url)), '../widget/test-phone');
  if (!deps.options.sourceMaps) {
    app.use(['/test-phone', '/embed', '/agent-widget'], (req, res, next) => {
      // decoded as express.static will, so `phone.js%2Emap` is refused too
      let path = req.path;
      try {
        path = decodeURIComponent(path);
      } catch {
        /* malformed: static refuses it anyway */
      }
      if (path.toLowerCase().endsWith('.map')) res.status(404).json({ error: 'not found' });
      else next();
    });
  }
  if (existsSync(widgetDir)) app.use('/test-phone', express.static(widgetDir));
  // The embed page's bundle (/embed/embed.js); the page itself is the /embed route.
  const embedDir = resolve(widgetDir, '../embed');
  if (existsSync(embedDir)) app.use('/embed', express.static(embedDir, { index: false, redirect: false }));
  // The softphone page's bundle and stylesheet; the page itself is the /agent-widget/embed route.
  const agentDir = resolve(widgetDir, '../agent');
  if (existsSync(agentDir)) app.use('/agent-widget', express.static(agentDir, { index: false, redirect: false }));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use(errorMiddleware(deps.logger));
  const sockets: SocketEndpoint[] = [];
  if (deps.chat) sockets.push(widgetChatSocket({ store: deps.store, chat: deps.chat, logger: deps.logger }));
  if (deps.chat && deps.agentWidgets)
    sockets.push(agentChatSocket({ sessions: deps.agentWidgets.sessions, chat: deps.chat, logger: deps.logger }));
  const attach = (server: Server): (() => void) => serveUpgrades(server, sockets, deps.logger);
  return { app, registry, attach };
}
