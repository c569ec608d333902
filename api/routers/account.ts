/** Phonevoice's account surface: `/api/signup`, `/api/confirm`, `/api/whoami`. */
import { z } from 'zod';
import { AccountError } from '../../src/accounts/account-service.js';
import { ApiError } from '../errors.js';
import type { RouteModule } from '../context.js';

const signupBody = z.object({
  email: z.email().max(254),
  password: z.string().min(8, 'must be at least 8 characters').max(200),
  name: z.string().trim().min(1).max(100).optional(),
});
const confirmBody = z.object({
  email: z.email().max(254),
  code: z
    .string()
    .trim()
    .regex(/^[0-9]{6}$/, 'expected the 6-digit code'),
});
const whoami = z.object({ status: z.literal('ok'), id: z.number().int(), name: z.string(), email: z.string().nullable() });

function mapAccountError(err: unknown): never {
  if (err instanceof AccountError) throw new ApiError(422, err.message);
  throw err;
}

export const accountRoutes: RouteModule = (api, ctx) => {
  api.route({
    method: 'post',
    path: '/api/signup',
    summary: 'Create a user account; a confirmation code is sent by mail',
    tags: ['account'],
    auth: 'none',
    rateLimit: ctx.authLimiter,
    body: signupBody,
    status: 201,
    response: z.object({ status: z.literal('ok'), id: z.number().int(), email: z.string(), message: z.string() }),
    handler: async ({ body }) => {
      const user = await ctx.accounts.signup(body).catch(mapAccountError);
      return {
        status: 'ok' as const,
        id: user.id,
        email: user.email,
        message: 'confirmation code sent; POST it to /api/confirm',
      };
    },
  });

  api.route({
    method: 'post',
    path: '/api/confirm',
    summary: 'Confirm an account with its code; returns a user token (shown once)',
    tags: ['account'],
    auth: 'none',
    rateLimit: ctx.authLimiter,
    body: confirmBody,
    response: whoami.extend({ user_token: z.string() }),
    handler: async ({ body }) => {
      const { user, token } = await ctx.accounts.confirm(body).catch(mapAccountError);
      return { status: 'ok' as const, id: user.id, name: user.name, email: user.email, user_token: token };
    },
  });

  api.route({
    method: 'get',
    path: '/api/whoami',
    summary: "Who the token belongs to: the user, or for a project token the project (email: its owner's, or null)",
    tags: ['account'],
    auth: 'any',
    response: whoami,
    handler: async ({ auth }) => {
      if (auth.kind === 'user') return { status: 'ok' as const, id: auth.user.id, name: auth.user.name, email: auth.user.email };
      const email = await ctx.store.projects.ownerEmail(auth.project.id);
      return { status: 'ok' as const, id: auth.project.id, name: auth.project.name, email };
    },
  });
};
