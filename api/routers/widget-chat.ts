/**
 * Aurion's visitor chat, as the widget calls it: `POST /api/v1/widget/session` opens a session for an
 * email the customer's server signed (`email_token`), then `Authorization: Bearer <token>` sends
 * messages, reads the session's history, uploads attachments and downloads them; new messages stream
 * on `/api/v1/widget/ws?token=` (api/widget-chat-socket.ts). Every request must come from a page in
 * the widget's allowed domains (403 otherwise), like the rest of the widget's public face.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Widget, WidgetSession, WidgetUpload } from '../../src/store/index.js';
import { originAllowed, pageOrigin } from '../../src/widgets/origin.js';
import { verifyEmailToken } from '../../src/widgets/email-token.js';
import { AttachmentRefused, CHAT_LIMITS, type VisitorChat } from '../../src/widgets/visitor-chat.js';
import { authenticate, checkScope, projectOf } from '../auth.js';
import { ApiError, forbidden, notFound, tooManyRequests, unauthorized } from '../errors.js';
import { readMultipartFile } from '../multipart.js';
import { RateLimiter } from '../rate-limit.js';
import type { ApiContext, RouteModule } from '../context.js';
import {
  attachmentSchema,
  attachmentJson,
  historyJson,
  historyQuery,
  historySchema,
  isoSeconds,
  messageJson,
  messageSchema,
} from '../widget-chat-json.js';
import { upgradeRequired } from '../upgrades.js';

const widgetId = z.string().regex(/^wgt_[A-Za-z0-9_-]{16}$/, 'expected a widget id');
export const uploadIdSchema = z.string().regex(/^up_[A-Za-z0-9_-]{16}$/, 'expected an upload id');
const uploadParams = z.object({ uploadId: uploadIdSchema });

export const chatService = (ctx: ApiContext): VisitorChat => {
  if (!ctx.chat) throw new ApiError(503, 'widget chat is not available on this server');
  return ctx.chat;
};

/** A page outside the widget's allowed domains is refused; an allowed one gets CORS for its fetches. */
export function checkPage(ctx: ApiContext, req: Request, res: Response, w: Widget): void {
  res.set('Vary', 'Origin, Referer');
  const page = pageOrigin(req.get('origin'), req.get('referer'));
  if (!originAllowed(w.allowedDomains, page, req.get('host'))) {
    ctx.logger.info(
      { widget: w.publicId, page: page?.origin ?? null },
      'widget chat refused to a page outside its allowed domains',
    );
    throw forbidden('forbidden: this page is not an allowed domain of the widget');
  }
  const origin = req.get('origin');
  if (origin && origin !== 'null') res.set('Access-Control-Allow-Origin', origin);
}

const visitorToken = (req: Request): string | undefined => /^Bearer\s+(wst_\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];

/** The live session the visitor's bearer token opens, from an allowed page; 401 for expired or revoked ones. */
async function visitorOf(ctx: ApiContext, req: Request, res: Response): Promise<{ session: WidgetSession; widget: Widget }> {
  res.set('Cache-Control', 'no-store');
  const session = await chatService(ctx).authorize(visitorToken(req));
  if (!session) throw unauthorized('missing, expired or revoked widget session token');
  const widget = await ctx.store.widgets.get(session.widgetId);
  if (!widget) throw unauthorized('missing, expired or revoked widget session token');
  checkPage(ctx, req, res, widget);
  return { session, widget };
}

/** Stores the request's multipart `file` as an attachment of `session` (413/415 for what is refused). */
export async function storeUpload(ctx: ApiContext, req: Request, session: WidgetSession, by: string): Promise<WidgetUpload> {
  const chat = chatService(ctx);
  const file = await readMultipartFile(req, chat.uploadMaxBytes);
  try {
    const upload = await chat.attach(session, { bytes: file.bytes, fileName: file.fileName, declaredType: file.contentType });
    ctx.logger.info(
      { session: session.publicId, upload: upload.publicId, type: upload.contentType, size: upload.size, by },
      'widget upload stored',
    );
    return upload;
  } catch (err) {
    if (err instanceof AttachmentRefused) throw new ApiError(err.reason === 'too_large' ? 413 : 415, err.message);
    throw err;
  }
}

/** The upload `uploadId` of `session`: 404 unknown, 403 another session's. */
export async function uploadOfSession(ctx: ApiContext, session: WidgetSession, uploadId: string): Promise<WidgetUpload> {
  const upload = await ctx.store.widgetUploads.findByPublicId(uploadId);
  if (!upload) throw notFound('upload');
  if (upload.sessionId !== session.id) throw forbidden('forbidden: this upload belongs to another session');
  return upload;
}

/** The row id of the upload a message of `session` attaches, or null when none is. */
export async function attachableUpload(
  ctx: ApiContext,
  session: WidgetSession,
  uploadId: string | undefined,
): Promise<number | null> {
  return uploadId ? (await uploadOfSession(ctx, session, uploadId)).id : null;
}

/**
 * An attachment's bytes as a download that cannot run in our origin: the type we sniffed, never
 * the uploader's; images inline, anything else as a file; a sandbox CSP and nosniff either way.
 */
export async function sendUpload(ctx: ApiContext, res: Response, upload: WidgetUpload): Promise<undefined> {
  const bytes = await chatService(ctx).readAttachment(upload);
  const inline = upload.contentType.startsWith('image/');
  res.set({
    'Content-Type': upload.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : upload.contentType,
    'Content-Length': String(bytes.length),
    'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${upload.fileName.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(upload.fileName)}`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'private, no-store',
  });
  res.status(200).end(bytes);
  return undefined;
}

function limit(limiter: RateLimiter, key: string): void {
  const wait = limiter.hit(key);
  if (wait) throw tooManyRequests(wait);
}

export const widgetChatRoutes: RouteModule = (api, ctx) => {
  const limits = ctx.chat?.limits ?? CHAT_LIMITS;
  const sessions = new RateLimiter(limits.sessionsPerMinute);
  const messages = new RateLimiter(limits.messagesPerMinute);
  const uploads = new RateLimiter(limits.uploadsPerMinute);

  // Preflights of the host page's fetches (JSON and Authorization); the real request is checked.
  api.router.use('/api/v1/widget', (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    res
      .set({
        'Access-Control-Allow-Origin': req.get('origin') ?? '*',
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'authorization, content-type',
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      })
      .status(204)
      .end();
  });

  api.route({
    method: 'post',
    path: '/api/v1/widget/session',
    summary: "Open a visitor chat session for an email the widget's owner signed (email_token: HMAC with the widget secret)",
    tags: ['widget-chat'],
    auth: 'none',
    body: z.object({
      widget_id: widgetId,
      email_token: z.string().min(1).max(600),
      display_name: z.string().trim().min(1).max(100),
    }),
    status: 201,
    response: z.object({ session_id: z.string(), token: z.string(), expires_at: z.string() }),
    errors: [401, 403, 404, 409, 429, 503],
    handler: async ({ body, req, res }) => {
      limit(sessions, `${req.ip ?? req.socket.remoteAddress ?? '?'}|${body.widget_id}`);
      const chat = chatService(ctx);
      const widget = await ctx.store.widgets.findByPublicId(body.widget_id);
      if (!widget) throw notFound('widget');
      checkPage(ctx, req, res, widget);
      if (!widget.modes.includes('chat')) throw new ApiError(409, 'chat is not enabled on this widget');
      const check = verifyEmailToken(widget.secret, body.email_token);
      if (!check.ok) {
        ctx.logger.info({ widget: widget.publicId, reason: check.reason }, 'widget session refused: bad email token');
        throw unauthorized(
          check.reason === 'malformed'
            ? 'email_token: malformed (see the signing recipe)'
            : "email_token: not signed with this widget's secret, or expired",
        );
      }
      const { session, token } = await chat.open(widget, { email: check.email, displayName: body.display_name });
      res.set('Cache-Control', 'no-store');
      return { session_id: session.publicId, token, expires_at: isoSeconds(session.expiresAt) };
    },
  });

  api.route({
    method: 'post',
    path: '/api/v1/widget/messages',
    summary: 'Send a chat message as the visitor (Authorization: Bearer <session token>)',
    tags: ['widget-chat'],
    auth: 'none',
    body: z.object({
      content: z.string().trim().max(4000).default(''),
      /** An upload of this session (POST /uploads) to attach. */
      attachment_id: uploadIdSchema.optional(),
    }),
    status: 201,
    response: messageSchema,
    errors: [401, 403, 404, 429, 503],
    handler: async ({ body, req, res }) => {
      const { session } = await visitorOf(ctx, req, res);
      limit(messages, session.publicId);
      const uploadId = await attachableUpload(ctx, session, body.attachment_id);
      if (!body.content && uploadId === null) throw new ApiError(422, 'content: required (or an attachment_id)');
      const m = await chatService(ctx).post(session, { sender: 'visitor', content: body.content, uploadId });
      return messageJson(m, session.publicId);
    },
  });

  api.route({
    method: 'get',
    path: '/api/v1/widget/history',
    summary: "The visitor session's conversation, a page at a time (before/after a message id)",
    tags: ['widget-chat'],
    auth: 'none',
    query: historyQuery,
    response: historySchema,
    errors: [401, 403, 503],
    handler: async ({ query, req, res }) => {
      const { session } = await visitorOf(ctx, req, res);
      return historyJson(session, await ctx.store.widgetMessages.history(session.id, query));
    },
  });

  api.route({
    method: 'post',
    path: '/api/v1/widget/uploads',
    summary: 'Upload an attachment (multipart/form-data field "file"; PNG, JPEG, GIF, WebP, PDF or plain text, by content)',
    tags: ['widget-chat'],
    auth: 'none',
    status: 201,
    response: attachmentSchema,
    errors: [401, 403, 413, 415, 422, 429, 503],
    handler: async ({ req, res }) => {
      const { session } = await visitorOf(ctx, req, res);
      limit(uploads, session.publicId);
      return attachmentJson(await storeUpload(ctx, req, session, 'visitor'));
    },
  });

  api.route({
    method: 'get',
    path: '/api/v1/widget/uploads/:uploadId',
    summary: "An attachment's bytes, for its session's visitor (Bearer session token) or its project (project token)",
    tags: ['widget-chat'],
    auth: 'none',
    params: uploadParams,
    contentType: 'application/octet-stream',
    errors: [401, 403, 404, 503],
    handler: async ({ params, req, res }) => {
      chatService(ctx); // 503 before any token is looked at, as the other chat routes answer
      let owner: { sessionId: number } | { projectId: number };
      if (visitorToken(req)) {
        const { session } = await visitorOf(ctx, req, res);
        owner = { sessionId: session.id };
      } else {
        // the project's own API (agents looking at what a visitor sent)
        const who = await authenticate(ctx.store, req);
        checkScope(who, 'voice-widget:read');
        owner = { projectId: (await projectOf(ctx.store, req, who)).id };
      }
      const upload = await ctx.store.widgetUploads.findByPublicId(params.uploadId);
      if (!upload) throw notFound('upload');
      const mine = 'sessionId' in owner ? upload.sessionId === owner.sessionId : upload.projectId === owner.projectId;
      if (!mine) throw forbidden('forbidden: this upload belongs to another session');
      return sendUpload(ctx, res, upload);
    },
  });

  api.route({
    method: 'get',
    path: '/api/v1/widget/ws',
    summary: 'WebSocket (?token=<session token>): {type:"message", content, sender, ...} for each new message of the session',
    tags: ['widget-chat'],
    auth: 'none',
    query: z.object({ token: z.string().max(100).optional() }),
    errors: [426],
    handler: upgradeRequired,
  });
};
