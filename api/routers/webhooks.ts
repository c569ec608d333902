/** `/api/v1/webhooks`: a project's subscriber URLs, their one-time secret, and the delivery log. */
import { z } from 'zod';
import type { Webhook } from '../../src/store/index.js';
import { checkTarget, TargetRefusedError } from '../../src/events/target-guard.js';
import { ownedBy, unprocessable } from '../errors.js';
import type { RouteModule } from '../context.js';
import { idParams } from './numbers.js';

/** Each webhook multiplies every event's deliveries: a bound keeps one tenant from flooding the outbox. */
export const MAX_WEBHOOKS_PER_PROJECT = 20;

const eventType = z.string().regex(/^(\*|[a-z_]+(\.[a-z_-]+)+)$/, 'expected an event type such as phone_call.completed, or *');
const url = z.string().max(2048).url();

export const webhookSchema = z.object({
  id: z.number().int(),
  url: z.string(),
  name: z.string().nullable(),
  events: z.array(z.string()),
  active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
const createdSchema = webhookSchema.extend({ secret: z.string() });

const attemptSchema = z.object({
  event_id: z.string(),
  type: z.string(),
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  error: z.string().nullable(),
  attempt: z.number().int(),
  created_at: z.string(),
});

function webhookJson(w: Webhook): z.input<typeof webhookSchema> {
  return {
    id: w.id,
    url: w.url,
    name: w.name,
    events: w.events,
    active: w.active,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  };
}

export const webhookRoutes: RouteModule = (api, ctx) => {
  /** Refused receivers answer 422 naming the field; the dispatcher checks again at every connection. */
  const guard = async (target: string): Promise<void> => {
    try {
      await checkTarget(target, ctx.allowPrivateWebhookTargets);
    } catch (err) {
      if (err instanceof TargetRefusedError) throw unprocessable(`url: ${err.message}`);
      throw err;
    }
  };

  api.route({
    method: 'get',
    path: '/api/v1/webhooks',
    summary: 'List your webhooks',
    tags: ['webhooks'],
    auth: 'project',
    scope: 'webhooks:read',
    response: z.object({ webhooks: z.array(webhookSchema) }),
    handler: async ({ project }) => ({ webhooks: (await ctx.store.webhooks.list(project.id)).map(webhookJson) }),
  });

  api.route({
    method: 'post',
    path: '/api/v1/webhooks',
    summary: 'Create a webhook (answers its secret, once)',
    tags: ['webhooks'],
    auth: 'project',
    scope: 'webhooks:write',
    status: 201,
    response: createdSchema,
    body: z.object({ url, name: z.string().max(200).optional(), events: z.array(eventType).max(50).optional() }),
    handler: async ({ project, body }) => {
      if ((await ctx.store.webhooks.list(project.id)).length >= MAX_WEBHOOKS_PER_PROJECT)
        throw unprocessable(`url: at most ${MAX_WEBHOOKS_PER_PROJECT} webhooks per project`);
      await guard(body.url);
      const w = await ctx.store.webhooks.create(project.id, body);
      return { ...webhookJson(w), secret: w.secret };
    },
  });

  api.route({
    method: 'patch',
    path: '/api/v1/webhooks/:id',
    summary: 'Update url, name, events or active',
    tags: ['webhooks'],
    auth: 'project',
    scope: 'webhooks:write',
    params: idParams,
    response: webhookSchema,
    errors: [404],
    body: z.object({
      url: url.optional(),
      name: z.string().max(200).nullable().optional(),
      events: z.array(eventType).max(50).optional(),
      active: z.boolean().optional(),
    }),
    handler: async ({ project, params, body }) => {
      ownedBy(project.id, await ctx.store.webhooks.get(params.id), 'webhook');
      if (body.url !== undefined) await guard(body.url);
      return webhookJson((await ctx.store.webhooks.update(params.id, body))!);
    },
  });

  api.route({
    method: 'delete',
    path: '/api/v1/webhooks/:id',
    summary: 'Delete a webhook and its pending deliveries',
    tags: ['webhooks'],
    auth: 'project',
    scope: 'webhooks:write',
    params: idParams,
    response: z.object({ status: z.literal('deleted'), id: z.number().int() }),
    errors: [404],
    handler: async ({ project, params }) => {
      ownedBy(project.id, await ctx.store.webhooks.get(params.id), 'webhook');
      await ctx.store.webhooks.delete(params.id);
      return { status: 'deleted' as const, id: params.id };
    },
  });

  api.route({
    method: 'get',
    path: '/api/v1/webhooks/:id/calls',
    summary: 'Delivery log: the last 50 attempts, newest first',
    tags: ['webhooks'],
    auth: 'project',
    scope: 'webhooks:read',
    params: idParams,
    response: z.object({ calls: z.array(attemptSchema) }),
    errors: [404],
    handler: async ({ project, params }) => {
      ownedBy(project.id, await ctx.store.webhooks.get(params.id), 'webhook');
      const attempts = await ctx.store.webhooks.attempts(params.id, 50);
      return {
        calls: attempts.map((a) => ({
          event_id: a.eventId,
          type: a.type,
          status_code: a.statusCode,
          duration_ms: a.durationMs,
          error: a.error,
          attempt: a.attempt,
          created_at: a.at,
        })),
      };
    },
  });
};
