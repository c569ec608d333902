/**
 * `/recordings/:id.wav?exp=&sig=`: a call's WAV behind a signed, expiring link (the `recording_url`
 * of phone_call.completed events). No token: the signature is the credential; a bad or expired
 * one is 403 without saying which.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ApiError, notFound } from '../errors.js';
import type { RouteModule } from '../context.js';

export const recordingRoutes: RouteModule = (api, ctx) => {
  api.route({
    method: 'get',
    path: '/recordings/:id.wav',
    summary: 'A call recording (signed, expiring link)',
    tags: ['recordings'],
    auth: 'none',
    params: z.object({ id: z.coerce.number().int().positive() }),
    query: z.object({ exp: z.string().optional(), sig: z.string().optional() }),
    contentType: 'audio/wav',
    errors: [403, 404],
    handler: async ({ params, query, res }) => {
      if (!ctx.recordingLinks?.verify(params.id, query.exp, query.sig))
        throw new ApiError(403, 'forbidden: invalid or expired link');
      const call = await ctx.store.calls.get(params.id);
      if (!call?.recordingPath || !existsSync(call.recordingPath)) throw notFound('recording');
      res.set('Cache-Control', 'private, max-age=300');
      await new Promise<void>((resolve, reject) => {
        res.type('audio/wav').sendFile(call.recordingPath!, { dotfiles: 'allow' }, (err) => (err ? reject(err) : resolve()));
      });
      return undefined;
    },
  });
};
