/** The project's numbers, read side (`/api/v1/relay_numbers`); buying and PATCH come with the relay issue. */
import { z } from 'zod';
import type { PhoneNumber } from '../../src/store/index.js';
import { ownedBy } from '../errors.js';
import type { RouteModule } from '../context.js';

export const numberSchema = z.object({
  id: z.number().int(),
  phone_number: z.string(),
  country: z.string().nullable(),
  type: z.string().nullable(),
  area_code: z.string().nullable(),
  forward_to: z.string().nullable(),
  relay_enabled: z.boolean(),
  target: z.union([
    z.object({ kind: z.literal('agent'), agent_id: z.number().int() }),
    z.object({ kind: z.literal('application'), application_id: z.number().int() }),
    z.object({ kind: z.literal('forward'), forward_to: z.string() }),
  ]).nullable(),
});

export function numberJson(n: PhoneNumber): z.input<typeof numberSchema> {
  const t = n.target;
  return {
    id: n.id, phone_number: n.e164, country: n.country, type: n.type, area_code: n.areaCode, forward_to: n.forwardTo, relay_enabled: n.relayEnabled,
    target: !t ? null : t.kind === 'agent' ? { kind: 'agent', agent_id: t.agentId }
      : t.kind === 'application' ? { kind: 'application', application_id: t.applicationId } : { kind: 'forward', forward_to: t.forwardTo },
  };
}

export const idParams = z.object({ id: z.coerce.number().int().positive() });

export const numberRoutes: RouteModule = (api, ctx) => {
  api.route({
    method: 'get', path: '/api/v1/relay_numbers', summary: 'List your numbers and their relay configuration', tags: ['numbers'],
    auth: 'project', scope: 'numbers:read', response: z.object({ relay_numbers: z.array(numberSchema) }),
    handler: async ({ project }) => ({ relay_numbers: (await ctx.store.numbers.list(project.id)).map(numberJson) }),
  });

  api.route({
    method: 'get', path: '/api/v1/relay_numbers/:id', summary: 'One of your numbers', tags: ['numbers'],
    auth: 'project', scope: 'numbers:read', params: idParams, response: numberSchema, errors: [404],
    handler: async ({ project, params }) => numberJson(ownedBy(project.id, await ctx.store.numbers.get(params.id), 'number')),
  });
};
