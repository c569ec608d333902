/** `/api/v1/relay_numbers`: search the operator's unowned inventory, buy a number as a relay, list and configure yours. */
import { z } from 'zod';
import type { PhoneNumber } from '../../src/store/index.js';
import { ownedBy, unprocessable } from '../errors.js';
import type { RouteModule } from '../context.js';

export const numberSchema = z.object({
  id: z.number().int(),
  phone_number: z.string(),
  country: z.string().nullable(),
  type: z.string().nullable(),
  area_code: z.string().nullable(),
  forward_to: z.string().nullable(),
  relay_enabled: z.boolean(),
  target: z
    .union([
      z.object({ kind: z.literal('agent'), agent_id: z.number().int() }),
      z.object({ kind: z.literal('application'), application_id: z.number().int() }),
      z.object({ kind: z.literal('forward'), forward_to: z.string() }),
    ])
    .nullable(),
});

export function numberJson(n: PhoneNumber): z.input<typeof numberSchema> {
  const t = n.target;
  return {
    id: n.id,
    phone_number: n.e164,
    country: n.country,
    type: n.type,
    area_code: n.areaCode,
    forward_to: n.forwardTo,
    relay_enabled: n.relayEnabled,
    target: !t
      ? null
      : t.kind === 'agent'
        ? { kind: 'agent', agent_id: t.agentId }
        : t.kind === 'application'
          ? { kind: 'application', application_id: t.applicationId }
          : { kind: 'forward', forward_to: t.forwardTo },
  };
}

export const idParams = z.object({ id: z.coerce.number().int().positive() });

const e164 = z.string().regex(/^\+[1-9][0-9]{3,14}$/, 'expected an E.164 number such as +14155550123');
const availableSchema = z.object({
  phone_number: z.string(),
  country: z.string().nullable(),
  type: z.string().nullable(),
  area_code: z.string().nullable(),
});

export const numberRoutes: RouteModule = (api, ctx) => {
  api.route({
    method: 'get',
    path: '/api/v1/relay_numbers',
    summary: 'List your numbers and their relay configuration',
    tags: ['numbers'],
    auth: 'project',
    scope: 'numbers:read',
    response: z.object({ relay_numbers: z.array(numberSchema) }),
    handler: async ({ project }) => ({ relay_numbers: (await ctx.store.numbers.list(project.id)).map(numberJson) }),
  });

  // Before `/:id`, which would otherwise take "available" for an id.
  api.route({
    method: 'get',
    path: '/api/v1/relay_numbers/available',
    summary: "Search numbers you can buy (the operator's unassigned DIDs)",
    tags: ['numbers'],
    auth: 'project',
    scope: 'numbers:read',
    query: z.object({
      country: z
        .string()
        .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166 alpha-2 country code')
        .optional(),
      type: z.enum(['local', 'mobile', 'toll-free', 'national']).optional(),
      area_code: z
        .string()
        .regex(/^[0-9]{1,6}$/)
        .optional(),
      contains: z
        .string()
        .regex(/^\+?[0-9]{1,15}$/, 'expected digits')
        .optional(),
      limit: z.coerce.number().int().min(1).max(100).optional(),
    }),
    response: z.object({ available_numbers: z.array(availableSchema) }),
    handler: async ({ query }) => ({
      available_numbers: (
        await ctx.store.numbers.available({
          country: query.country,
          type: query.type,
          areaCode: query.area_code,
          contains: query.contains,
          limit: query.limit ?? 50,
        })
      ).map((n) => ({ phone_number: n.e164, country: n.country, type: n.type, area_code: n.areaCode })),
    }),
  });

  api.route({
    method: 'post',
    path: '/api/v1/relay_numbers',
    summary: 'Buy a number and provision it as a relay to forward_to',
    tags: ['numbers'],
    auth: 'project',
    scope: 'numbers:write',
    status: 201,
    response: numberSchema,
    body: z.object({
      phone_number: e164,
      forward_to: e164,
      country: z
        .string()
        .regex(/^[A-Za-z]{2}$/)
        .optional(),
    }),
    handler: async ({ project, body }) => {
      const n = await ctx.store.numbers.findByE164(body.phone_number);
      // Only the operator's inventory can be bought; owned (by anyone, the buyer included) is taken.
      if (!n) throw unprocessable('phone_number: not in the available inventory');
      if (n.projectId !== null) throw unprocessable('phone_number: already owned');
      if (body.country && n.country && n.country !== body.country.toUpperCase())
        throw unprocessable('country: does not match the number');
      try {
        return numberJson(await ctx.store.numbers.assign(project.id, n.e164, { kind: 'forward', forwardTo: body.forward_to }));
      } catch {
        throw unprocessable('phone_number: already owned');
      }
    },
  });

  api.route({
    method: 'patch',
    path: '/api/v1/relay_numbers/:id',
    summary: 'Set forward_to and/or toggle relay_enabled',
    tags: ['numbers'],
    auth: 'project',
    scope: 'numbers:write',
    params: idParams,
    response: numberSchema,
    errors: [404],
    body: z.object({ forward_to: e164.optional(), relay_enabled: z.boolean().optional() }),
    handler: async ({ project, params, body }) => {
      const n = ownedBy(project.id, await ctx.store.numbers.get(params.id), 'number');
      if (body.relay_enabled && !(body.forward_to ?? n.forwardTo))
        throw unprocessable('forward_to: required to enable the relay');
      await ctx.store.numbers.setRelay(n.id, { forwardTo: body.forward_to, relayEnabled: body.relay_enabled });
      // A number with no routing yet becomes a relay once it has somewhere to forward to.
      if (body.forward_to && (!n.target || n.target.kind === 'forward'))
        await ctx.store.numbers.setTarget(n.id, { kind: 'forward', forwardTo: body.forward_to });
      return numberJson((await ctx.store.numbers.get(n.id))!);
    },
  });

  api.route({
    method: 'get',
    path: '/api/v1/relay_numbers/:id',
    summary: 'One of your numbers',
    tags: ['numbers'],
    auth: 'project',
    scope: 'numbers:read',
    params: idParams,
    response: numberSchema,
    errors: [404],
    handler: async ({ project, params }) => numberJson(ownedBy(project.id, await ctx.store.numbers.get(params.id), 'number')),
  });
};
