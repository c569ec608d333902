/**
 * Visitor chat from the agent's softphone (Voylo widget, Aurion chat): the softphone page holds
 * only its `voywt_` session token (Authorization: Bearer), never the project's API key. With it
 * the page lists its project's open visitor conversations, reads one, and replies as its agent
 * (the reply reaches the visitor's sockets at once, signed with the agent's label), with an
 * attachment it uploads to the conversation, and downloads the conversation's attachments. New
 * conversations and messages stream on `/v1/agent-widget/ws` (api/agent-chat-socket.ts). Another
 * project's conversation is 403, as on the project API.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { LiveWidgetSession } from '../../src/agents/agent-widget-sessions.js';
import type { WidgetSession } from '../../src/store/index.js';
import { CHAT_LIMITS } from '../../src/widgets/visitor-chat.js';
import { ApiError, ownedBy, tooManyRequests, unauthorized } from '../errors.js';
import type { ApiContext, RouteModule } from '../context.js';
import { RateLimiter } from '../rate-limit.js';
import { attachableUpload, chatService, sendUpload, storeUpload, uploadIdSchema, uploadOfSession } from './widget-chat.js';
import {
  attachmentJson,
  attachmentSchema,
  historyJson,
  historyQuery,
  historySchema,
  messageJson,
  messageSchema,
  sessionJson,
  sessionSchema,
} from '../widget-chat-json.js';
import { upgradeRequired } from '../upgrades.js';

const conversationParams = z.object({
  id: z.string().regex(/^ws_[A-Za-z0-9_-]{16}$/, 'expected a session id (ws_…)'),
});

/** The agent's label, as replies are signed and the softphone shows it. */
export const agentLabel = (live: LiveWidgetSession): string => live.agent.displayName ?? live.agent.username;

/** The live widget session of the request's `Bearer voywt_…`; 401 for missing, expired or revoked ones. */
export async function widgetSessionOf(ctx: ApiContext, req: Request, res: Response): Promise<LiveWidgetSession> {
  res.set('Cache-Control', 'no-store');
  if (!ctx.agentWidgets) throw new ApiError(503, 'the agent widget is not available on this server');
  const token = /^Bearer\s+(voywt_\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
  const live = token ? await ctx.agentWidgets.sessions.authorize(token) : undefined;
  if (!live) throw unauthorized('missing, expired or revoked widget session');
  return live;
}

async function conversationOf(ctx: ApiContext, live: LiveWidgetSession, publicId: string): Promise<WidgetSession> {
  return ownedBy(live.session.projectId, await ctx.store.widgetSessions.findByPublicId(publicId), 'widget session');
}

export const agentChatRoutes: RouteModule = (api, ctx) => {
  const limits = ctx.chat?.limits ?? CHAT_LIMITS;
  // Replies per widget session, as the visitor's messages are counted per visitor session.
  const replies = new RateLimiter(limits.messagesPerMinute);
  // Reads per widget session (agents of a call centre share an address): a list and a history per conversation opened.
  const reads = new RateLimiter(limits.messagesPerMinute * 4);
  const uploads = new RateLimiter(limits.uploadsPerMinute);
  const count = (limiter: RateLimiter, live: LiveWidgetSession): void => {
    const wait = limiter.hit(`agent-widget-${live.session.id}`);
    if (wait) throw tooManyRequests(wait);
  };

  api.route({
    method: 'get',
    path: '/v1/agent-widget/conversations',
    summary: "The project's open visitor chats, most recently active first, for the softphone (Bearer voywt_...)",
    tags: ['agent-widget'],
    auth: 'none',
    query: z.object({ per_page: z.coerce.number().int().positive().max(200).default(50) }),
    response: z.object({ conversations: z.array(sessionSchema) }),
    errors: [401, 429, 503],
    handler: async ({ req, res, query }) => {
      const live = await widgetSessionOf(ctx, req, res);
      count(reads, live);
      chatService(ctx);
      const now = Date.now();
      const { sessions } = await ctx.store.widgetSessions.page(live.session.projectId, {
        activeAt: new Date(now).toISOString(),
        limit: query.per_page,
        offset: 0,
      });
      return { conversations: sessions.map((s) => sessionJson(s, now)) };
    },
  });

  api.route({
    method: 'get',
    path: '/v1/agent-widget/conversations/:id/messages',
    summary: "A visitor conversation of the widget session's project, a page at a time (Bearer voywt_...)",
    tags: ['agent-widget'],
    auth: 'none',
    params: conversationParams,
    query: historyQuery,
    response: historySchema,
    errors: [401, 403, 404, 429, 503],
    handler: async ({ req, res, params, query }) => {
      const live = await widgetSessionOf(ctx, req, res);
      count(reads, live);
      const conversation = await conversationOf(ctx, live, params.id);
      return historyJson(conversation, await ctx.store.widgetMessages.history(conversation.id, query));
    },
  });

  api.route({
    method: 'post',
    path: '/v1/agent-widget/conversations/:id/messages',
    summary: "Reply to a visitor as the widget session's agent; the reply streams to the visitor (Bearer voywt_...)",
    tags: ['agent-widget'],
    auth: 'none',
    params: conversationParams,
    body: z.object({
      content: z.string().trim().max(4000).optional(),
      /** An upload of this conversation (POST .../uploads) to attach. */
      attachment_id: uploadIdSchema.optional(),
    }),
    status: 201,
    response: messageSchema,
    errors: [401, 403, 404, 409, 422, 429, 503],
    handler: async ({ req, res, params, body }) => {
      const live = await widgetSessionOf(ctx, req, res);
      count(replies, live);
      // whose conversation it is is answered before what is wrong with the request (403 never hides behind a 422)
      const conversation = await conversationOf(ctx, live, params.id);
      const uploadId = await attachableUpload(ctx, conversation, body.attachment_id);
      if (!body.content && uploadId === null) throw new ApiError(422, 'content: required (or an attachment_id)');
      const chat = chatService(ctx);
      if (!chat.isLive(conversation)) throw new ApiError(409, 'this session has ended');
      const m = await chat.post(conversation, {
        sender: 'agent',
        agentId: live.agent.id,
        author: agentLabel(live),
        content: body.content ?? '',
        uploadId,
      });
      return messageJson(m, conversation.publicId);
    },
  });

  api.route({
    method: 'post',
    path: '/v1/agent-widget/conversations/:id/uploads',
    summary:
      'Upload an attachment to a visitor conversation, to send with a reply (multipart/form-data field "file"; PNG, JPEG, GIF, WebP, PDF or plain text, by content; Bearer voywt_...)',
    tags: ['agent-widget'],
    auth: 'none',
    params: conversationParams,
    status: 201,
    response: attachmentSchema,
    errors: [401, 403, 404, 409, 413, 415, 422, 429, 503],
    handler: async ({ req, res, params }) => {
      const live = await widgetSessionOf(ctx, req, res);
      count(uploads, live);
      const conversation = await conversationOf(ctx, live, params.id);
      if (!chatService(ctx).isLive(conversation)) throw new ApiError(409, 'this session has ended');
      return attachmentJson(await storeUpload(ctx, req, conversation, `agent ${live.agent.id}`));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/agent-widget/conversations/:id/uploads/:uploadId',
    summary: "An attachment of a visitor conversation of the widget session's project (Bearer voywt_...)",
    tags: ['agent-widget'],
    auth: 'none',
    params: conversationParams.extend({ uploadId: uploadIdSchema }),
    contentType: 'application/octet-stream',
    errors: [401, 403, 404, 429, 503],
    handler: async ({ req, res, params }) => {
      const live = await widgetSessionOf(ctx, req, res);
      count(reads, live);
      const conversation = await conversationOf(ctx, live, params.id);
      return sendUpload(ctx, res, await uploadOfSession(ctx, conversation, params.uploadId));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/agent-widget/ws',
    summary:
      'WebSocket (?token=voywt_...): {type:"conversation"} for each new visitor session and {type:"message"} for each message of the project\'s chats',
    tags: ['agent-widget'],
    auth: 'none',
    query: z.object({ token: z.string().max(100).optional() }),
    errors: [426],
    handler: upgradeRequired,
  });
};
