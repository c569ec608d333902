/**
 * The project's side of visitor chat (X-API-Key or Bearer project token; scopes
 * `voice-widget:read`/`:write` like the rest of the widget API): list a widget's sessions, read a
 * conversation, reply as an agent (the reply reaches the visitor's open sockets at once), and end a
 * session. Another project's session is 403.
 */
import { z } from 'zod';
import type { Project, WidgetSession } from '../../src/store/index.js';
import { ApiError, forbidden, notFound, ownedBy } from '../errors.js';
import type { ApiContext, RouteModule } from '../context.js';
import { chatService } from './widget-chat.js';
import {
  historyJson,
  historyQuery,
  historySchema,
  messageJson,
  messageSchema,
  sessionJson,
  sessionSchema,
} from '../widget-chat-json.js';

const sessionParams = z.object({ id: z.string().regex(/^ws_[A-Za-z0-9_-]{16}$/, 'expected a session id (ws_…)') });

async function sessionOf(ctx: ApiContext, project: Project, publicId: string): Promise<WidgetSession> {
  return ownedBy(project.id, await ctx.store.widgetSessions.findByPublicId(publicId), 'widget session');
}

export const widgetConversationRoutes: RouteModule = (api, ctx) => {
  api.route({
    method: 'get',
    path: '/api/v1/widget/sessions',
    summary: "The project's visitor chat sessions, the most recently active first",
    tags: ['widget-chat'],
    auth: 'project',
    scope: 'voice-widget:read',
    query: z.object({
      /** Only this widget's sessions (one of the project's widgets). */
      widget_id: z
        .string()
        .regex(/^wgt_[A-Za-z0-9_-]{16}$/, 'expected a widget id')
        .optional(),
      status: z.enum(['active', 'all']).default('all'),
      page: z.coerce.number().int().positive().max(100000).default(1),
      per_page: z.coerce.number().int().positive().max(200).default(50),
    }),
    response: z.object({
      sessions: z.array(sessionSchema),
      page: z.number().int(),
      per_page: z.number().int(),
      has_more: z.boolean(),
    }),
    errors: [404],
    handler: async ({ project, query }) => {
      let widgetId: number | undefined;
      if (query.widget_id) {
        const w = await ctx.store.widgets.findByPublicId(query.widget_id);
        if (!w) throw notFound('widget');
        if (w.projectId !== project.id) throw forbidden('forbidden: this widget belongs to another project');
        widgetId = w.id;
      }
      const now = Date.now();
      const { sessions, hasMore } = await ctx.store.widgetSessions.page(project.id, {
        widgetId,
        activeAt: query.status === 'active' ? new Date(now).toISOString() : undefined,
        limit: query.per_page,
        offset: (query.page - 1) * query.per_page,
      });
      return {
        sessions: sessions.map((s) => sessionJson(s, now)),
        page: query.page,
        per_page: query.per_page,
        has_more: hasMore,
      };
    },
  });

  api.route({
    method: 'get',
    path: '/api/v1/widget/sessions/:id',
    summary: 'One visitor chat session',
    tags: ['widget-chat'],
    auth: 'project',
    scope: 'voice-widget:read',
    params: sessionParams,
    response: sessionSchema,
    errors: [404],
    handler: async ({ project, params }) => sessionJson(await sessionOf(ctx, project, params.id)),
  });

  api.route({
    method: 'get',
    path: '/api/v1/widget/sessions/:id/messages',
    summary: "A session's conversation, a page at a time (before/after a message id)",
    tags: ['widget-chat'],
    auth: 'project',
    scope: 'voice-widget:read',
    params: sessionParams,
    query: historyQuery,
    response: historySchema,
    errors: [404],
    handler: async ({ project, params, query }) => {
      const session = await sessionOf(ctx, project, params.id);
      return historyJson(session, await ctx.store.widgetMessages.history(session.id, query));
    },
  });

  api.route({
    method: 'post',
    path: '/api/v1/widget/sessions/:id/messages',
    summary: "Reply to the visitor as an agent; the reply streams to the visitor's WebSocket",
    tags: ['widget-chat'],
    auth: 'project',
    scope: 'voice-widget:write',
    params: sessionParams,
    body: z.object({
      content: z.string().trim().max(4000).optional(),
      /** The project's agent who answers (their name is shown as the author). */
      agent_id: z.number().int().positive().optional(),
      /** A name to show when no agent is named (e.g. "Support"). */
      author: z.string().trim().min(1).max(100).optional(),
    }),
    status: 201,
    response: messageSchema,
    errors: [404, 409, 503],
    handler: async ({ project, params, body }) => {
      // Whose session it is is answered before what is wrong with the request (403 never hides behind a 422).
      const session = await sessionOf(ctx, project, params.id);
      if (!body.content) throw new ApiError(422, 'content: required');
      const chat = chatService(ctx);
      if (!chat.isLive(session)) throw new ApiError(409, 'this session has ended');
      let author = body.author ?? null;
      if (body.agent_id !== undefined) {
        const agent = ownedBy(project.id, await ctx.store.agents.get(body.agent_id), 'agent');
        author = agent.displayName ?? agent.username;
      }
      const m = await chat.post(session, { sender: 'agent', agentId: body.agent_id ?? null, author, content: body.content });
      return messageJson(m, session.publicId);
    },
  });

  api.route({
    method: 'delete',
    path: '/api/v1/widget/sessions/:id',
    summary: 'End a visitor session: its token stops working and its sockets close',
    tags: ['widget-chat'],
    auth: 'project',
    scope: 'voice-widget:write',
    params: sessionParams,
    response: z.object({ session_id: z.string(), status: z.literal('revoked') }),
    errors: [404, 503],
    handler: async ({ project, params }) => {
      const session = await sessionOf(ctx, project, params.id);
      await chatService(ctx).revoke(session);
      return { session_id: session.publicId, status: 'revoked' as const };
    },
  });
};
