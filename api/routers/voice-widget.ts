/**
 * Aurion's widget configuration API: `/api/v1/voice-widget/config` (GET/PUT), `regenerate-key` and
 * `ga-readiness`, under a project API key (`X-API-Key`), with the scopes `voice-widget:read` and
 * `voice-widget:write` when the key carries scopes. A project has one widget, made on first use;
 * its secret (which signs visitor email tokens) is shown when it is made and when it is replaced.
 */
import type { Request } from 'express';
import { z } from 'zod';
import type { Project, Widget, WidgetFields } from '../../src/store/index.js';
import { ALLOWED_DOMAIN_PATTERN } from '../../src/widgets/origin.js';
import { forbidden, notFound, unprocessable } from '../errors.js';
import type { ApiContext, RouteModule } from '../context.js';

const e164 = z.string().regex(/^\+[1-9][0-9]{3,14}$/, 'expected an E.164 number such as +14155550123');
const target = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('number'), number: e164 }),
    z.object({ type: z.literal('application'), application_id: z.number().int().positive() }),
  ])
  .nullable();

const configBody = z
  .object({
    greeting: z.string().trim().min(1).max(500),
    primary_color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour such as #6366F1'),
    position: z.enum(['bottom-right', 'bottom-left']),
    allowed_domains: z
      .array(z.string().max(253).regex(ALLOWED_DOMAIN_PATTERN, 'expected host names such as example.com or *.example.com'))
      .max(50),
    modes: z
      .array(z.enum(['voice', 'chat']))
      .min(1)
      .max(2),
    consent_required: z.boolean(),
    consent_text: z.string().trim().min(1).max(2000).nullable(),
    target,
  })
  .partial()
  .strict();

const configJson = z.object({
  widget_id: z.string(),
  greeting: z.string(),
  primary_color: z.string(),
  position: z.string(),
  allowed_domains: z.array(z.string()),
  modes: z.array(z.string()),
  consent_required: z.boolean(),
  consent_text: z.string().nullable(),
  target: z
    .union([
      z.object({ type: z.literal('number'), number: z.string() }),
      z.object({ type: z.literal('application'), application_id: z.number() }),
    ])
    .nullable(),
  /** Only when the widget was made by this request: store it now, it signs visitor email tokens. */
  secret: z.string().optional(),
  secret_prefix: z.string(),
  embed: z.object({ script: z.string(), aurion_script: z.string(), share_url: z.string() }),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The base URL the caller reached us by, for embed snippets. */
const baseUrl = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

function toJson(w: Widget, req: Request, showSecret = false): z.input<typeof configJson> {
  const base = baseUrl(req);
  return {
    widget_id: w.publicId,
    greeting: w.greeting,
    primary_color: w.primaryColor,
    position: w.position,
    allowed_domains: w.allowedDomains,
    modes: w.modes,
    consent_required: w.consentRequired,
    consent_text: w.consentText,
    target:
      w.target?.kind === 'number'
        ? { type: 'number', number: w.target.number }
        : w.target
          ? { type: 'application', application_id: w.target.applicationId }
          : null,
    ...(showSecret ? { secret: w.secret } : {}),
    secret_prefix: w.secret.slice(0, 10),
    embed: {
      script: `<script src="${base}/widget/${w.publicId}.js"></script>`,
      aurion_script: `<script src="${base}/api/v1/voice-widget/embed/aurion.js" data-widget-id="${w.publicId}" async></script>`,
      share_url: `${base}/widget/${w.publicId}/call`,
    },
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  };
}

/** The project's widget, made with defaults on first use. */
async function widgetOf(ctx: ApiContext, project: Project): Promise<{ widget: Widget; created: boolean }> {
  const existing = await ctx.store.widgets.forProject(project.id);
  if (existing) return { widget: existing, created: false };
  return { widget: await ctx.store.widgets.create(project.id), created: true };
}

/** A target must be the project's own: another project's application is 403, an unowned number 422. */
async function checkTarget(ctx: ApiContext, project: Project, t: z.output<typeof target>): Promise<WidgetFields['target']> {
  if (t === null) return null;
  if (t.type === 'application') {
    const app = await ctx.store.applications.get(t.application_id);
    if (!app) throw notFound('application');
    if (app.projectId !== project.id) throw forbidden();
    return { kind: 'application', applicationId: app.id };
  }
  const n = await ctx.store.numbers.findByE164(t.number);
  if (!n || n.projectId !== project.id) throw unprocessable('body.target.number: not a number of this project');
  return { kind: 'number', number: n.e164 };
}

export const voiceWidgetRoutes: RouteModule = (api, ctx) => {
  api.route({
    method: 'get',
    path: '/api/v1/voice-widget/config',
    summary: "The project's visitor widget (made with defaults on first use)",
    tags: ['voice-widget'],
    auth: 'project',
    scope: 'voice-widget:read',
    response: configJson,
    handler: async ({ project, req }) => {
      const { widget, created } = await widgetOf(ctx, project);
      return toJson(widget, req, created);
    },
  });
  api.route({
    method: 'put',
    path: '/api/v1/voice-widget/config',
    summary: "Changes the widget's greeting, colour, position, allowed domains, modes, consent step or target",
    tags: ['voice-widget'],
    auth: 'project',
    scope: 'voice-widget:write',
    body: configBody,
    response: configJson,
    errors: [403, 404],
    handler: async ({ project, body, req }) => {
      const fields: WidgetFields = {
        greeting: body.greeting,
        primaryColor: body.primary_color,
        position: body.position,
        allowedDomains: body.allowed_domains ? [...new Set(body.allowed_domains.map((d) => d.toLowerCase()))] : undefined,
        modes: body.modes ? [...new Set(body.modes)] : undefined,
        consentRequired: body.consent_required,
        consentText: body.consent_text,
        target: body.target !== undefined ? await checkTarget(ctx, project, body.target) : undefined,
      };
      const { widget, created } = await widgetOf(ctx, project);
      const updated = await ctx.store.widgets.update(widget.id, fields);
      return toJson(updated ?? widget, req, created);
    },
  });
  api.route({
    method: 'post',
    path: '/api/v1/voice-widget/config/regenerate-key',
    summary: 'A new widget id and secret: old embed snippets and email tokens stop working',
    tags: ['voice-widget'],
    auth: 'project',
    scope: 'voice-widget:write',
    response: z.object({ widget_id: z.string(), secret: z.string(), message: z.string() }),
    handler: async ({ project }) => {
      const { widget } = await widgetOf(ctx, project);
      const fresh = (await ctx.store.widgets.regenerateKey(widget.id)) ?? widget;
      return { widget_id: fresh.publicId, secret: fresh.secret, message: 'Widget key regenerated. Update your embed snippet.' };
    },
  });
  api.route({
    method: 'get',
    path: '/api/v1/voice-widget/ga-readiness',
    summary: 'Whether the voice widget can take calls for this project, check by check',
    tags: ['voice-widget'],
    auth: 'project',
    scope: 'voice-widget:read',
    response: z.object({
      ready: z.boolean(),
      widget_id: z.string().nullable(),
      checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
    }),
    handler: async ({ project }) => {
      const w = await ctx.store.widgets.forProject(project.id);
      const app = w?.target?.kind === 'application' ? await ctx.store.applications.get(w.target.applicationId) : undefined;
      const checks = [
        { name: 'widget_configured', ok: !!w, detail: w ? w.publicId : 'GET or PUT /api/v1/voice-widget/config first' },
        {
          name: 'target_configured',
          ok: w?.target?.kind === 'number' || !!app?.callbackUrl,
          detail: w?.target
            ? w.target.kind === 'number'
              ? w.target.number
              : app?.callbackUrl
                ? `application ${app.id}`
                : 'the application has no callback URL'
            : 'no number or application to call',
        },
        {
          name: 'allowed_domains_configured',
          ok: (w?.allowedDomains.length ?? 0) > 0,
          detail: w?.allowedDomains.length ? w.allowedDomains.join(', ') : 'only the hosted page can load the widget',
        },
        { name: 'voice_mode_enabled', ok: !!w?.modes.includes('voice'), detail: w?.modes.join(', ') ?? 'no widget' },
        {
          name: 'visitor_calling_available',
          ok: !!ctx.widgets,
          detail: ctx.widgets ? 'SIP over WebSocket is on' : 'no call layer on this server',
        },
      ];
      return { ready: checks.every((c) => c.ok), widget_id: w?.publicId ?? null, checks };
    },
  });
};
