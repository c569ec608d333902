/**
 * Phonevoice's embed sessions: `POST /api/v1/calls/:id/embed_session {role}` answers a signed,
 * single-use `/embed?t=` URL; `GET /embed?t=` opens it once and serves the softphone page with SIP
 * credentials minted for that embed alone (never the API key).
 */
import { z } from 'zod';
import { CallRequestError } from '../../src/calls/api-calls.js';
import { EMBED_ROLES, type EmbedRole } from '../../src/calls/embed-tokens.js';
import type { EmbedSessions } from '../../src/calls/embed-sessions.js';
import { ApiError, ownedBy } from '../errors.js';
import type { RouteModule } from '../context.js';
import { RateLimiter } from '../rate-limit.js';
import { idParams } from './numbers.js';

/** What the embed routes need from the platform. */
export interface EmbedDeps {
  sessions: EmbedSessions;
  /** Base of the links handed out (`http.publicUrl`, resolved once the listener is up). */
  publicUrl(): string;
  /** The SIP-over-WebSocket URL a page loaded from `hostname` should use; undefined without a ws/wss listener. */
  sipWebSocket(hostname: string): string | undefined;
}

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

/** The page's only script is our bundle; it may be framed by any site (that is its purpose). */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src ws: wss:; media-src 'self' blob:; frame-ancestors *; base-uri 'none'; form-action 'none'";

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON inside a non-executed script element: `<` escaped so nothing can close the element. */
const inlineJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

const LABEL: Record<EmbedRole, string> = { agent: 'Agent softphone', talk: 'Participant', listen: 'Live listen' };

function page(title: string, body: string, config?: unknown): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>
<style>
body{font:15px system-ui,sans-serif;margin:0;padding:1em;color:#1d2430;background:#fff}
h1{font-size:1.1em;margin:0 0 .5em}#state{margin:.5em 0;padding:.4em .6em;border-radius:6px;background:#eef2f7}
button{font:inherit;padding:.45em 1em;border-radius:6px;border:1px solid #9aa6b5;background:#f8fafc;cursor:pointer}
button:disabled{opacity:.5;cursor:default}.refused{color:#8a1c1c}
</style></head><body>
${body}
${config === undefined ? '' : `<script type="application/json" id="embed-config">${inlineJson(config)}</script>\n<script src="/embed/embed.js"></script>`}
</body></html>`;
}

export const embedRoutes: RouteModule = (api, ctx) => {
  const embeds = (): EmbedDeps => {
    if (!ctx.embeds) throw new ApiError(503, 'calls are not available on this server');
    return ctx.embeds;
  };

  api.route({
    method: 'post',
    path: '/api/v1/calls/:id/embed_session',
    summary: 'Signed, single-use iframe URL (5 minutes) for a browser softphone on the call: agent, talk or listen',
    tags: ['calls'],
    auth: 'project',
    scope: 'calls:write',
    params: idParams,
    // role is checked after ownership, so a foreign call answers 403 whatever the body says
    body: z.object({ role: z.unknown().optional() }),
    errors: [403, 404, 409, 422, 503],
    response: z.object({ embed_url: z.string(), role: z.enum(EMBED_ROLES), expires_in: z.number().int() }),
    handler: async ({ project, params, body }) => {
      const record = ownedBy(project.id, await ctx.store.calls.get(params.id), 'call');
      const role = z.enum(EMBED_ROLES).safeParse(body.role);
      if (!role.success) throw new ApiError(422, `role: must be one of ${EMBED_ROLES.join(', ')}`);
      if (FINAL.has(record.status)) throw new ApiError(409, `the call is over (${record.status})`);
      let issued: { token: string; expiresIn: number };
      try {
        issued = embeds().sessions.create(record, role.data);
      } catch (err) {
        if (err instanceof CallRequestError) throw new ApiError(err.status, err.message);
        throw err;
      }
      const base = embeds().publicUrl().replace(/\/+$/, '');
      return { embed_url: `${base}/embed?t=${issued.token}`, role: role.data, expires_in: issued.expiresIn };
    },
  });

  api.route({
    method: 'get',
    path: '/embed',
    summary: 'The embed page of an embed_session URL; opens once, then 410',
    tags: ['calls'],
    auth: 'none',
    rateLimit: new RateLimiter(60),
    query: z.object({ t: z.string().max(200) }),
    contentType: 'text/html',
    errors: [403, 410, 422, 503],
    handler: ({ req, res, query }) => {
      res.set({ 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      const opened = embeds().sessions.open(query.t);
      if (!opened.ok) {
        res
          .status(opened.status)
          .type('html')
          .send(page('Embed refused', `<h1 class="refused">${escapeHtml(opened.reason)}</h1>`));
        return undefined;
      }
      const ws = embeds().sipWebSocket(req.hostname);
      res
        .status(200)
        .type('html')
        .send(
          page(
            LABEL[opened.role],
            `<h1>${LABEL[opened.role]}</h1><div id="state">connecting…</div><button id="hangup" disabled>${
              opened.role === 'agent' ? 'End call' : 'Leave'
            }</button>${opened.role === 'listen' ? '' : ' <button id="mute" disabled>Mute</button>'}<audio id="remote-audio" autoplay></audio>`,
            {
              role: opened.role,
              callId: opened.callId,
              ws,
              domain: req.hostname,
              user: opened.sipUser,
              password: opened.sipPassword,
            },
          ),
        );
      return undefined;
    },
  });
};
