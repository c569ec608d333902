/** `/v1/applications` (Voxology): what answers a project's numbers, a call-flow callback and its configuration. */
import { z } from 'zod';
import type { Application, ApplicationFields } from '../../src/store/index.js';
import { checkTarget, TargetRefusedError } from '../../src/events/target-guard.js';
import { ownedBy, unprocessable } from '../errors.js';
import type { RouteModule } from '../context.js';
import { idParams } from './numbers.js';

/** Bounds what one tenant can make the box store. */
export const MAX_APPLICATIONS_PER_PROJECT = 100;

const url = z.string().max(2048).url();
const method = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(['GET', 'POST']));
const format = z.enum(['json', 'form', 'query']);

export const applicationSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  callback_url: z.string().nullable(),
  callback_method: z.enum(['GET', 'POST']),
  callback_format: format,
  fallback_url: z.string().nullable(),
  status_callback_url: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

const fields = {
  name: z.string().min(1).max(200),
  callback_url: url.nullable(),
  callback_method: method,
  callback_format: format,
  fallback_url: url.nullable(),
  status_callback_url: url.nullable(),
};
const createBody = z.object({
  ...fields,
  name: fields.name.optional(),
  callback_url: fields.callback_url.optional(),
  callback_method: method.optional(),
  callback_format: format.optional(),
  fallback_url: fields.fallback_url.optional(),
  status_callback_url: fields.status_callback_url.optional(),
});
const patchBody = createBody;

function applicationJson(a: Application): z.input<typeof applicationSchema> {
  return {
    id: a.id,
    name: a.name,
    callback_url: a.callbackUrl,
    callback_method: a.callbackMethod,
    callback_format: a.callbackFormat,
    fallback_url: a.fallbackUrl,
    status_callback_url: a.statusCallbackUrl,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

function toFields(b: z.output<typeof createBody>): ApplicationFields {
  return {
    name: b.name,
    callbackUrl: b.callback_url,
    callbackMethod: b.callback_method,
    callbackFormat: b.callback_format,
    fallbackUrl: b.fallback_url,
    statusCallbackUrl: b.status_callback_url,
  };
}

export const applicationRoutes: RouteModule = (api, ctx) => {
  /** Every URL the engine will fetch is checked when saved (422 naming the field); the engine checks again on connect. */
  const guard = async (b: z.output<typeof createBody>): Promise<void> => {
    for (const field of ['callback_url', 'fallback_url', 'status_callback_url'] as const) {
      const target = b[field];
      if (target === undefined || target === null) continue;
      try {
        await checkTarget(target, ctx.allowPrivateWebhookTargets);
      } catch (err) {
        if (err instanceof TargetRefusedError) throw unprocessable(`${field}: ${err.message}`);
        throw err;
      }
    }
  };

  api.route({
    method: 'get',
    path: '/v1/applications',
    summary: 'List your applications',
    tags: ['applications'],
    auth: 'project',
    scope: 'applications:read',
    response: z.object({ applications: z.array(applicationSchema) }),
    handler: async ({ project }) => ({ applications: (await ctx.store.applications.list(project.id)).map(applicationJson) }),
  });

  api.route({
    method: 'post',
    path: '/v1/applications',
    summary: 'Create an application (its call-flow callback configuration)',
    tags: ['applications'],
    auth: 'project',
    scope: 'applications:write',
    status: 201,
    response: applicationSchema,
    body: createBody,
    handler: async ({ project, body }) => {
      if ((await ctx.store.applications.count(project.id)) >= MAX_APPLICATIONS_PER_PROJECT)
        throw unprocessable(`name: at most ${MAX_APPLICATIONS_PER_PROJECT} applications per project`);
      await guard(body);
      return applicationJson(
        await ctx.store.applications.create({ ...toFields(body), projectId: project.id, name: body.name ?? 'application' }),
      );
    },
  });

  api.route({
    method: 'get',
    path: '/v1/applications/:id',
    summary: 'One of your applications',
    tags: ['applications'],
    auth: 'project',
    scope: 'applications:read',
    params: idParams,
    response: applicationSchema,
    errors: [404],
    handler: async ({ project, params }) =>
      applicationJson(ownedBy(project.id, await ctx.store.applications.get(params.id), 'application')),
  });

  api.route({
    method: 'patch',
    path: '/v1/applications/:id',
    summary: "Change an application's name or callback configuration (null clears a URL)",
    tags: ['applications'],
    auth: 'project',
    scope: 'applications:write',
    params: idParams,
    body: patchBody,
    response: applicationSchema,
    errors: [404],
    handler: async ({ project, params, body }) => {
      ownedBy(project.id, await ctx.store.applications.get(params.id), 'application');
      await guard(body);
      return applicationJson((await ctx.store.applications.update(params.id, toFields(body)))!);
    },
  });

  api.route({
    method: 'delete',
    path: '/v1/applications/:id',
    summary: 'Delete an application; its numbers are left without a target',
    tags: ['applications'],
    auth: 'project',
    scope: 'applications:write',
    params: idParams,
    response: z.object({ status: z.literal('deleted'), id: z.number().int() }),
    errors: [404],
    handler: async ({ project, params }) => {
      ownedBy(project.id, await ctx.store.applications.get(params.id), 'application');
      await ctx.store.applications.delete(params.id);
      return { status: 'deleted' as const, id: params.id };
    },
  });
};
