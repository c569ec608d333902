/**
 * The visitor widget's public face: the one-tag script (`/widget/<id>.js`, and Aurion's
 * `/api/v1/voice-widget/embed/aurion.js` with `data-widget-id`), its public settings, the hosted
 * share page, and `POST /api/v1/voice-widget/token`, which mints a short-lived SIP credential good
 * for one call to the widget's target. Everything that names a widget answers 403 to a page outside
 * its allowed domains (no launcher appears there), and the token is rate-limited per source.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Widget } from '../../src/store/index.js';
import { originAllowed, pageOrigin } from '../../src/widgets/origin.js';
import { ApiError, forbidden, notFound } from '../errors.js';
import { RateLimiter } from '../rate-limit.js';
import type { ApiContext, RouteModule } from '../context.js';

/** Built by esbuild into dist/widget/visitor; this file runs from dist/api/routers. */
const BUNDLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../widget/visitor/visitor.js');
let bundle: Promise<string> | undefined;
const visitorBundle = (): Promise<string> => {
  bundle ??= readFile(BUNDLE, 'utf8').catch((err: unknown) => {
    bundle = undefined;
    throw err;
  });
  return bundle;
};

const widgetId = z.string().regex(/^wgt_[A-Za-z0-9_-]{16}$/, 'expected a widget id');
const widgetParams = z.object({ widgetId });

const publicConfig = z.object({
  widget_id: z.string(),
  greeting: z.string(),
  primary_color: z.string(),
  position: z.string(),
  modes: z.array(z.string()),
  consent_required: z.boolean(),
  consent_text: z.string().nullable(),
  /** False when the widget points nowhere: the launcher explains instead of calling. */
  callable: z.boolean(),
  /** With chat: the largest attachment the server takes, so the page refuses a bigger one before uploading it. */
  upload_max_bytes: z.number().int().optional(),
});

const publicJson = (w: Widget, uploadMaxBytes?: number): z.input<typeof publicConfig> => ({
  widget_id: w.publicId,
  greeting: w.greeting,
  primary_color: w.primaryColor,
  position: w.position,
  modes: w.modes,
  consent_required: w.consentRequired,
  consent_text: w.consentText,
  callable: w.target !== null && w.modes.includes('voice'),
  ...(w.modes.includes('chat') && uploadMaxBytes !== undefined ? { upload_max_bytes: uploadMaxBytes } : {}),
});

/** The widget, if the requesting page may use it; 404 unknown, 403 outside its domains. CORS for allowed pages. */
async function allowedWidget(ctx: ApiContext, req: Request, res: Response, id: string): Promise<Widget> {
  const w = await ctx.store.widgets.findByPublicId(id);
  res.set('Vary', 'Origin, Referer');
  if (!w) throw notFound('widget');
  // Readable by the page whatever the answer: a refused page's script can then say why (the
  // refusal tells nothing the widget id did not), instead of a bare CORS failure.
  const origin = req.get('origin');
  if (origin && origin !== 'null') res.set('Access-Control-Allow-Origin', origin);
  const page = pageOrigin(origin, req.get('referer'));
  if (!originAllowed(w.allowedDomains, page, req.get('host'))) {
    ctx.logger.info({ widget: w.publicId, page: page?.origin ?? null }, 'widget refused to a page outside its allowed domains');
    throw forbidden('forbidden: this page is not an allowed domain of the widget');
  }
  return w;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const widgetEmbedRoutes: RouteModule = (api, ctx) => {
  const limiter = new RateLimiter(ctx.widgets?.sessionsPerMinute ?? 5);
  // Preflights of the cross-origin fetches a host page makes (JSON POST); the real request is checked.
  api.router.use(['/api/v1/voice-widget/token', '/widget'], (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    res
      .set({
        'Access-Control-Allow-Origin': req.get('origin') ?? '*',
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'content-type',
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      })
      .status(204)
      .end();
  });

  api.route({
    method: 'get',
    path: '/widget/:widgetId.js',
    summary: 'The one-tag visitor widget script (403 to pages outside its allowed domains)',
    tags: ['voice-widget'],
    auth: 'none',
    params: widgetParams,
    contentType: 'text/javascript',
    errors: [403, 404],
    handler: async ({ params, req, res }) => {
      let w: Widget;
      try {
        w = await allowedWidget(ctx, req, res, params.widgetId);
      } catch (err) {
        // A script tag's refusal: typed as script, or the browser blocks it (ORB) before the page
        // could see the 403; a comment says why to whoever opens it.
        if (!(err instanceof ApiError)) throw err;
        res.status(err.status).set('Cache-Control', 'no-store').type('text/javascript');
        res.send(`/* ${err.status}: ${err.message.replace(/\*\//g, '')} */\n`);
        return undefined;
      }
      const settings = { ...publicJson(w, ctx.chat?.uploadMaxBytes), base: `${req.protocol}://${req.get('host')}` };
      // Settings take effect on the next page load: never cached.
      res.set('Cache-Control', 'no-store').type('text/javascript');
      res.send(`window.__switchboardWidget=${JSON.stringify(settings).replace(/</g, '\\u003c')};\n${await visitorBundle()}`);
      return undefined;
    },
  });
  api.route({
    method: 'get',
    path: '/api/v1/voice-widget/embed/aurion.js',
    summary: 'The widget runtime for `<script data-widget-id>` embeds (settings fetched per page)',
    tags: ['voice-widget'],
    auth: 'none',
    contentType: 'text/javascript',
    handler: async ({ res }) => {
      res
        .set('Cache-Control', 'public, max-age=300')
        .type('text/javascript')
        .send(await visitorBundle());
      return undefined;
    },
  });
  api.route({
    method: 'get',
    path: '/widget/:widgetId/config',
    summary: "A widget's public settings, for pages in its allowed domains",
    tags: ['voice-widget'],
    auth: 'none',
    params: widgetParams,
    response: publicConfig,
    errors: [403, 404],
    handler: async ({ params, req, res }) => {
      res.set('Cache-Control', 'no-store');
      return publicJson(await allowedWidget(ctx, req, res, params.widgetId), ctx.chat?.uploadMaxBytes);
    },
  });
  api.route({
    method: 'get',
    path: '/widget/:widgetId/call',
    summary: 'The hosted share page: the widget on our own domain, for visitors with a link',
    tags: ['voice-widget'],
    auth: 'none',
    params: widgetParams,
    contentType: 'text/html',
    errors: [404],
    handler: async ({ params, res }) => {
      const w = await ctx.store.widgets.findByPublicId(params.widgetId);
      if (!w) throw notFound('widget');
      res.set('Cache-Control', 'no-store').type('html');
      res.send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Call us</title><style>body{font:16px system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:#f6f6f8}</style></head>
<body><main><h1>${escapeHtml(w.greeting)}</h1><p>Press the call button to talk to us from your browser.</p></main>
<script src="/widget/${w.publicId}.js"></script></body></html>`);
      return undefined;
    },
  });
  api.route({
    method: 'post',
    path: '/api/v1/voice-widget/token',
    summary: "A visitor's call credential: SIP over WebSocket, good for one call to the widget's target",
    tags: ['voice-widget'],
    auth: 'none',
    rateLimit: limiter,
    body: z.object({ widget_id: widgetId, participant_name: z.string().trim().min(1).max(80).optional() }),
    status: 201,
    response: z.object({
      token: z.string(),
      room_name: z.string(),
      ws_url: z.string(),
      sip: z.object({ username: z.string(), password: z.string(), domain: z.string(), dial: z.string() }),
      expires_at: z.string(),
    }),
    errors: [403, 404, 409, 503],
    handler: async ({ body, req, res }) => {
      const w = await allowedWidget(ctx, req, res, body.widget_id);
      const services = ctx.widgets;
      if (!services) throw new ApiError(503, 'visitor calls are not available on this server');
      if (!w.target || !w.modes.includes('voice')) throw new ApiError(409, 'this widget has no call target');
      const hostname = (req.get('host') ?? 'localhost').replace(/:\d+$/, '');
      const wsUrl = services.sipWsUrl(hostname);
      if (!wsUrl) throw new ApiError(503, 'no SIP WebSocket listener for visitors');
      const pass = services.credentials.mint({
        projectId: w.projectId,
        widgetId: w.publicId,
        target: w.target,
        displayName: body.participant_name ?? 'Web visitor',
      });
      return {
        token: pass.password,
        room_name: pass.dial,
        ws_url: wsUrl,
        sip: { username: pass.username, password: pass.password, domain: services.sipDomain, dial: pass.dial },
        expires_at: new Date(pass.expiresAt).toISOString(),
      };
    },
  });
};
