/** What every route module receives; extend it (and `HttpDeps`) when a module needs another service. */
import type { Logger } from 'pino';
import type { Store } from '../src/store/index.js';
import type { AccountService } from '../src/accounts/account-service.js';
import type { ApiCalls } from '../src/calls/api-calls.js';
import type { ApiRouter } from './route.js';
import type { RateLimiter } from './rate-limit.js';
import type { RecordingLinks } from '../src/events/recording-links.js';
import type { FlowCalls } from '../src/calls/flow-calls.js';
import type { AgentWidgetDeps } from './routers/agent-widget.js';
import type { EmbedDeps } from './routers/embed.js';
import type { VisitorCredentials } from '../src/widgets/visitor-credentials.js';
import type { VisitorChat } from '../src/widgets/visitor-chat.js';

/** What the visitor widget's public endpoints need of the call layer. */
export interface WidgetServices {
  credentials: VisitorCredentials;
  /** The SIP WebSocket URL for a browser that reached this server by `hostname`. */
  sipWsUrl(hostname: string): string | undefined;
  /** The SIP domain visitors' URIs use (the registrar realm). */
  sipDomain: string;
  /** Visitor call sessions per source address per minute. */
  sessionsPerMinute: number;
}

export interface ApiContext {
  store: Store;
  accounts: AccountService;
  logger: Logger;
  /** Shared by sign-up and confirmation: attempts per source address per minute. */
  authLimiter: RateLimiter;
  /** Places and controls calls; absent when the API runs without the call layer (API-only tests). */
  calls?: ApiCalls;
  /** `webhooks.allowPrivateTargets`: webhook URLs on loopback/private networks are accepted. */
  allowPrivateWebhookTargets: boolean;
  /** Calls run by call flows (Dials/Connect, live-call modification); absent, those routes answer 503. */
  flowCalls?: FlowCalls;
  /** Signs and checks `/recordings/:id.wav` links; absent, every link is refused. */
  recordingLinks?: RecordingLinks;
  /** Embed sessions (`embed_session`, `/embed`); absent without the call layer (answers 503). */
  embeds?: EmbedDeps;
  /** Visitor web calls; absent when the API runs without the call layer (token requests answer 503). */
  widgets?: WidgetServices;
  /** Voylo agent-widget sessions (absent: those routes answer 503). */
  agentWidgets?: AgentWidgetDeps;
  /** Aurion's visitor chat: sessions, messages, attachments and their live fan-out (absent: those routes answer 503). */
  chat?: VisitorChat;
}

/**
 * A resource's routes, listed in `ROUTE_MODULES` (api/app.ts). For example:
 *
 *   export const callRoutes: RouteModule = (api, ctx) => {
 *     api.route({
 *       method: 'get', path: '/api/v1/calls/:id', summary: 'One call', tags: ['calls'],
 *       auth: 'project', params: idParams, response: callSchema, errors: [404],
 *       handler: async ({ project, params }) => callJson(ownedBy(project.id, await ctx.store.calls.get(params.id), 'call')),
 *     });
 *   };
 *
 * Validation failures answer 422 naming the field, missing/bad tokens 401, `ownedBy` 404/403, and
 * the route appears in /api/openapi.json with its schemas. The isolation test
 * (test/api/isolation.test.ts) needs a row for every project route with a path parameter.
 */
export type RouteModule = (api: ApiRouter, ctx: ApiContext) => void;
