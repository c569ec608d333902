/**
 * Voylo's agent softphone widget: `POST /v1/agent-widget/session` mints a `voywt_` session for an
 * agent (created on first sight), `DELETE /v1/agent-widget/session/:id` revokes it and kicks the
 * browser; `/v1/phone.js` is the host-page loader, `/agent-widget/embed?token=` the softphone page
 * it frames (also usable full-page), and `POST /v1/agent-widget/sip-credentials` hands that page
 * its session-derived SIP credentials for the `voywt_` token it holds (never the API key).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { WIDGET_TTL, type AgentWidgetSessions, type LiveWidgetSession } from '../../src/agents/agent-widget-sessions.js';
import { ApiError, ownedBy, unauthorized } from '../errors.js';
import type { RouteModule } from '../context.js';
import { RateLimiter } from '../rate-limit.js';
import { idParams } from './numbers.js';

/** What the agent-widget routes need from the platform. */
export interface AgentWidgetDeps {
  sessions: AgentWidgetSessions;
  /** Base of the widget URLs handed out (`http.publicUrl`, resolved once the listener is up). */
  publicUrl(): string;
  /** The SIP-over-WebSocket URL for a page loaded from `hostname`; undefined without a ws/wss listener. */
  sipWebSocket(hostname: string): string | undefined;
  /** Built bundles (dist/widget/agent): phone.js is read from here. */
  bundleDir: string;
}

/** Our bundle only; any site may frame the page (that is its purpose); it talks to our API and SIP WebSocket. */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; media-src 'self' blob:; img-src 'self' data: blob:; frame-ancestors *; base-uri 'none'; form-action 'none'";

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Softphone</title>
<link rel="stylesheet" href="/agent-widget/softphone.css">
</head><body><div id="app" class="sp"></div><audio id="remote-audio" autoplay></audio>
<script src="/agent-widget/softphone.js"></script></body></html>`;

const agentSchema = z.object({ id: z.number().int(), username: z.string(), label: z.string() });
const sessionBody = z.object({
  agentEmail: z.string().max(254).email(),
  displayName: z.string().trim().min(1).max(100),
  ttlSeconds: z.number().int().min(WIDGET_TTL.minSeconds).max(WIDGET_TTL.maxSeconds).optional(),
});

const agentJson = (live: LiveWidgetSession) => ({
  id: live.agent.id,
  username: live.agent.username,
  label: live.agent.displayName ?? live.agent.username,
});

export const agentWidgetRoutes: RouteModule = (api, ctx) => {
  const widgets = (): AgentWidgetDeps => {
    if (!ctx.agentWidgets) throw new ApiError(503, 'the agent widget is not available on this server');
    return ctx.agentWidgets;
  };
  let loader: Promise<string> | undefined;

  api.route({
    method: 'post',
    path: '/v1/agent-widget/session',
    summary: 'Mint a short-lived voywt_ widget session for an agent (created on first sight by email)',
    tags: ['agent-widget'],
    auth: 'project',
    scope: 'agent-widget:write',
    status: 201,
    body: sessionBody,
    errors: [503],
    response: z.object({
      id: z.number().int(),
      token: z.string(),
      widgetUrl: z.string(),
      expiresAt: z.string(),
      agent: agentSchema,
    }),
    handler: async ({ project, body }) => {
      const minted = await widgets().sessions.mint(project.id, body);
      const base = widgets().publicUrl().replace(/\/+$/, '');
      return {
        id: minted.session.id,
        token: minted.token,
        widgetUrl: `${base}/agent-widget/embed?token=${minted.token}`,
        expiresAt: minted.session.expiresAt.replace(/\.\d{3}Z$/, 'Z'),
        agent: agentJson(minted),
      };
    },
  });

  api.route({
    method: 'delete',
    path: '/v1/agent-widget/session/:id',
    summary: 'Revoke a widget session: its softphone is unregistered and disconnected within a second',
    tags: ['agent-widget'],
    auth: 'project',
    scope: 'agent-widget:write',
    params: idParams,
    errors: [404, 503],
    response: z.object({ id: z.number().int(), status: z.literal('revoked') }),
    handler: async ({ project, params }) => {
      const session = ownedBy(project.id, await ctx.store.agentWidgetSessions.get(params.id), 'widget session');
      await widgets().sessions.revoke(session);
      return { id: session.id, status: 'revoked' as const };
    },
  });

  api.route({
    method: 'post',
    path: '/v1/agent-widget/sip-credentials',
    summary: 'SIP credentials derived from a live widget session (Authorization: Bearer voywt_...), for the softphone page',
    tags: ['agent-widget'],
    auth: 'none',
    rateLimit: new RateLimiter(60),
    errors: [401, 503],
    response: z.object({
      ws: z.string().nullable(),
      domain: z.string(),
      username: z.string(),
      password: z.string(),
      uri: z.string(),
      displayName: z.string().nullable(),
      expiresAt: z.string(),
      agent: agentSchema,
    }),
    handler: async ({ req, res }) => {
      res.set('Cache-Control', 'no-store');
      const token = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
      const live = token ? await widgets().sessions.authorize(token) : undefined;
      if (!live) throw unauthorized('missing, expired or revoked widget session');
      const c = widgets().sessions.credentialsFor(live);
      return {
        ws: widgets().sipWebSocket(req.hostname) ?? null,
        domain: req.hostname,
        username: c.username,
        password: c.password,
        uri: `sip:${c.aor}@${req.hostname}`,
        displayName: c.displayName ?? null,
        expiresAt: live.session.expiresAt,
        agent: agentJson(live),
      };
    },
  });

  api.route({
    method: 'get',
    path: '/v1/phone.js',
    summary: 'The host-page loader: Voylo.init({sessionToken, mode, target, theme}) and the Voylo.* API',
    tags: ['agent-widget'],
    auth: 'none',
    contentType: 'application/javascript',
    errors: [503],
    handler: async ({ res }) => {
      loader ??= readFile(`${widgets().bundleDir}/phone.js`, 'utf8');
      const js = await loader.catch(() => {
        loader = undefined;
        throw new ApiError(503, 'the widget bundle is not built (npm run build)');
      });
      // Host pages on any origin load it; it carries no secret.
      res.set({ 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' }).type('application/javascript');
      res.send(js);
      return undefined;
    },
  });

  api.route({
    method: 'get',
    path: '/agent-widget/embed',
    summary: 'The agent softphone page (framed by phone.js, or opened full-page from widgetUrl)',
    tags: ['agent-widget'],
    auth: 'none',
    // the token is checked by the page's credential request; here it is only shape-checked
    query: z.object({ token: z.string().max(100).optional() }),
    contentType: 'text/html',
    handler: ({ res }) => {
      res.set({ 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      res.status(200).type('html').send(PAGE);
      return undefined;
    },
  });
};
