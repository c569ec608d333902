/**
 * `/v1/numbers/:id/callback_config` (Voxology's per-number Callback Configuration): a number uses its
 * application's callback configuration while `inherit` is on; turned off, its own URL, method,
 * body format, fallback and status-callback URLs apply to its calls (inbound, and Dials/Connect
 * calls that present it as caller ID).
 */
import { z } from 'zod';
import type { NumberCallbackConfig, PhoneNumber } from '../../src/store/index.js';
import { effectiveCallback } from '../../src/calls/router.js';
import { checkTarget, TargetRefusedError } from '../../src/events/target-guard.js';
import { ownedBy, unprocessable } from '../errors.js';
import type { ApiContext, RouteModule } from '../context.js';
import { idParams } from './numbers.js';

const url = z.string().max(2048).url();
const method = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(['GET', 'POST']));
const format = z.enum(['json', 'form', 'query']);

const effectiveSchema = z.object({
  source: z.enum(['number', 'application']),
  callback_url: z.string(),
  callback_method: z.enum(['GET', 'POST']),
  callback_format: format,
  fallback_url: z.string().nullable(),
  status_callback_url: z.string().nullable(),
});

export const numberCallbackSchema = z.object({
  number_id: z.number().int(),
  phone_number: z.string(),
  application_id: z.number().int().nullable(),
  inherit: z.boolean(),
  callback_url: z.string().nullable(),
  callback_method: z.enum(['GET', 'POST']),
  callback_format: format,
  fallback_url: z.string().nullable(),
  status_callback_url: z.string().nullable(),
  updated_at: z.string().nullable(),
  /** What the number's calls use now (null: nothing to call back, its calls are refused). */
  effective: effectiveSchema.nullable(),
});

const putBody = z.object({
  inherit: z.boolean().optional(),
  callback_url: url.nullable().optional(),
  callback_method: method.optional(),
  callback_format: format.optional(),
  fallback_url: url.nullable().optional(),
  status_callback_url: url.nullable().optional(),
});

async function configJson(
  ctx: ApiContext,
  n: PhoneNumber,
  c: NumberCallbackConfig,
): Promise<z.input<typeof numberCallbackSchema>> {
  const appId = n.target?.kind === 'application' ? n.target.applicationId : null;
  const app = appId !== null ? await ctx.store.applications.get(appId) : undefined;
  // Another project's application never applies, whatever the number row says.
  const eff = effectiveCallback(app && app.projectId === n.projectId ? app : undefined, c);
  return {
    number_id: n.id,
    phone_number: n.e164,
    application_id: appId,
    inherit: c.inherit,
    callback_url: c.callbackUrl,
    callback_method: c.callbackMethod,
    callback_format: c.callbackFormat,
    fallback_url: c.fallbackUrl,
    status_callback_url: c.statusCallbackUrl,
    updated_at: c.updatedAt,
    effective: eff
      ? {
          source: c.inherit ? 'application' : 'number',
          callback_url: eff.url,
          callback_method: eff.method,
          callback_format: eff.format,
          fallback_url: eff.fallbackUrl ?? null,
          status_callback_url: eff.statusCallbackUrl ?? null,
        }
      : null,
  };
}

export const numberCallbackRoutes: RouteModule = (api, ctx) => {
  api.route({
    method: 'get',
    path: '/v1/numbers/:id/callback_config',
    summary: "A number's callback configuration (own or inherited from its application) and the one its calls use",
    tags: ['numbers', 'applications'],
    auth: 'project',
    scope: 'numbers:read',
    params: idParams,
    response: numberCallbackSchema,
    errors: [404],
    handler: async ({ project, params }) => {
      const n = ownedBy(project.id, await ctx.store.numbers.get(params.id), 'number');
      return configJson(ctx, n, await ctx.store.numbers.callbackConfig(n.id));
    },
  });

  api.route({
    method: 'put',
    path: '/v1/numbers/:id/callback_config',
    summary: "Set a number's own callback configuration; inherit: false makes it apply instead of the application's",
    tags: ['numbers', 'applications'],
    auth: 'project',
    scope: 'numbers:write',
    params: idParams,
    body: putBody,
    response: numberCallbackSchema,
    errors: [404],
    handler: async ({ project, params, body }) => {
      const n = ownedBy(project.id, await ctx.store.numbers.get(params.id), 'number');
      // Checked when saved (422 naming the field); the engine checks again when it connects.
      for (const field of ['callback_url', 'fallback_url', 'status_callback_url'] as const) {
        const target = body[field];
        if (target === undefined || target === null) continue;
        try {
          await checkTarget(target, ctx.allowPrivateWebhookTargets);
        } catch (err) {
          if (err instanceof TargetRefusedError) throw unprocessable(`${field}: ${err.message}`);
          throw err;
        }
      }
      const before = await ctx.store.numbers.callbackConfig(n.id);
      if (body.inherit === false && !(body.callback_url !== undefined ? body.callback_url : before.callbackUrl))
        throw unprocessable('callback_url: required when inherit is false');
      const saved = await ctx.store.numbers.setCallbackConfig(n.id, {
        inherit: body.inherit,
        callbackUrl: body.callback_url,
        callbackMethod: body.callback_method,
        callbackFormat: body.callback_format,
        fallbackUrl: body.fallback_url,
        statusCallbackUrl: body.status_callback_url,
      });
      return configJson(ctx, n, saved);
    },
  });
};
