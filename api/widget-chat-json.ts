/** How visitor sessions, chat messages and attachments look on the wire: the visitor API, the project API and the socket share it. */
import { z } from 'zod';
import type { ChatAttachment, WidgetMessage, WidgetSession } from '../src/store/index.js';

/** Seconds precision, as the seed writes times (`2026-03-08T15:00:00Z`). */
export const isoSeconds = (iso: string): string => iso.replace(/\.\d{3}Z$/, 'Z');

export const uploadPath = (publicId: string): string => `/api/v1/widget/uploads/${publicId}`;

export const attachmentSchema = z.object({
  upload_id: z.string(),
  file_name: z.string(),
  content_type: z.string(),
  size: z.number().int(),
  /** Download path (with the visitor's token, or a project token). */
  url: z.string(),
});

export const messageSchema = z.object({
  id: z.number().int(),
  session_id: z.string(),
  sender: z.enum(['visitor', 'agent']),
  /** The agent's name on agent replies that name one; null otherwise. */
  author: z.string().nullable(),
  content: z.string(),
  attachment: attachmentSchema.nullable(),
  created_at: z.string(),
});

export const attachmentJson = (a: ChatAttachment): z.input<typeof attachmentSchema> => ({
  upload_id: a.publicId,
  file_name: a.fileName,
  content_type: a.contentType,
  size: a.size,
  url: uploadPath(a.publicId),
});

export const messageJson = (m: WidgetMessage, sessionPublicId: string): z.input<typeof messageSchema> => ({
  id: m.id,
  session_id: sessionPublicId,
  sender: m.sender,
  author: m.author,
  content: m.content,
  attachment: m.attachment ? attachmentJson(m.attachment) : null,
  created_at: m.createdAt,
});

/** The socket's frame for a new message: the seed's `{type, content, sender}` and the message's other fields. */
export const messageFrame = (m: WidgetMessage, sessionPublicId: string) => ({
  type: 'message' as const,
  ...messageJson(m, sessionPublicId),
});

export const historyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** Messages older than this id (walking back); without before/after, the newest page. */
    before: z.coerce.number().int().positive().optional(),
    /** Messages newer than this id (catching up after a reconnect). */
    after: z.coerce.number().int().min(0).optional(),
  })
  .refine((q) => q.before === undefined || q.after === undefined, { message: 'give before or after, not both' });

export const historySchema = z.object({
  session_id: z.string(),
  messages: z.array(messageSchema),
  /** More messages exist past this page in the direction walked. */
  has_more: z.boolean(),
});

/** One page of a session's conversation, as the visitor and the project both read it. */
export const historyJson = (
  session: WidgetSession,
  page: { messages: WidgetMessage[]; hasMore: boolean },
): z.input<typeof historySchema> => ({
  session_id: session.publicId,
  messages: page.messages.map((m) => messageJson(m, session.publicId)),
  has_more: page.hasMore,
});

export const sessionSchema = z.object({
  session_id: z.string(),
  widget_id: z.string(),
  email: z.string(),
  display_name: z.string(),
  status: z.enum(['active', 'expired', 'revoked']),
  created_at: z.string(),
  expires_at: z.string(),
  last_message_at: z.string().nullable(),
});

export function sessionJson(s: WidgetSession, now = Date.now()): z.input<typeof sessionSchema> {
  return {
    session_id: s.publicId,
    widget_id: s.widgetPublicId,
    email: s.email,
    display_name: s.displayName,
    status: s.revokedAt ? 'revoked' : Date.parse(s.expiresAt) <= now ? 'expired' : 'active',
    created_at: s.createdAt,
    expires_at: isoSeconds(s.expiresAt),
    last_message_at: s.lastMessageAt,
  };
}
