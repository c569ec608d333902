import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { nowIso } from '../secrets.js';
import type { NewEvent, OutboxRepository, StoredEvent } from './outbox.js';

export type ChatSender = 'visitor' | 'agent';

/** What a message carries of its attachment: enough to show and fetch it, never where it is stored. */
export interface ChatAttachment {
  publicId: string;
  fileName: string;
  contentType: string;
  size: number;
}

/** One chat message of a visitor session. */
export interface WidgetMessage {
  id: number;
  projectId: number;
  sessionId: number;
  sender: ChatSender;
  agentId: number | null;
  author: string | null;
  content: string;
  attachment: ChatAttachment | null;
  createdAt: string;
}

export interface NewWidgetMessage {
  projectId: number;
  sessionId: number;
  sender: ChatSender;
  agentId?: number | null;
  author?: string | null;
  content: string;
  /** The upload's row id (the caller checked it is the session's). */
  uploadId?: number | null;
}

/** A page of a session's history: `before` walks back from the newest, `after` forward from a known id. */
export interface HistoryQuery {
  before?: number;
  after?: number;
  limit?: number;
}

const COLUMNS = [
  'widget_messages.id',
  'widget_messages.project_id',
  'widget_messages.session_id',
  'widget_messages.sender',
  'widget_messages.agent_id',
  'widget_messages.author',
  'widget_messages.content',
  'widget_messages.created_at',
  'widget_uploads.public_id as upload_public_id',
  'widget_uploads.file_name as upload_file_name',
  'widget_uploads.content_type as upload_content_type',
  'widget_uploads.size as upload_size',
] as const;

interface Row {
  id: number;
  project_id: number;
  session_id: number;
  sender: string;
  agent_id: number | null;
  author: string | null;
  content: string;
  created_at: string;
  upload_public_id: string | null;
  upload_file_name: string | null;
  upload_content_type: string | null;
  upload_size: number | null;
}

const toMessage = (r: Row): WidgetMessage => ({
  id: r.id,
  projectId: r.project_id,
  sessionId: r.session_id,
  sender: r.sender === 'agent' ? 'agent' : 'visitor',
  agentId: r.agent_id,
  author: r.author,
  content: r.content,
  attachment:
    r.upload_public_id !== null
      ? {
          publicId: r.upload_public_id,
          fileName: r.upload_file_name ?? '',
          contentType: r.upload_content_type ?? 'application/octet-stream',
          size: Number(r.upload_size ?? 0),
        }
      : null,
  createdAt: r.created_at,
});

export class WidgetMessageRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly outbox: OutboxRepository,
  ) {}

  private select() {
    return this.selectIn(this.db);
  }

  private selectIn(db: Kysely<DB>) {
    return db
      .selectFrom('widget_messages')
      .leftJoin('widget_uploads', 'widget_uploads.id', 'widget_messages.upload_id')
      .select(COLUMNS);
  }

  /**
   * Stores the message and marks its session active, in one transaction; `event`, when given, is
   * the webhook event the stored message makes, written to the outbox in that same transaction (a
   * message is never stored without its event, nor an event sent for a message rolled back).
   */
  async insert(m: NewWidgetMessage, event?: (stored: WidgetMessage) => NewEvent): Promise<WidgetMessage> {
    const now = nowIso();
    let fired: StoredEvent | undefined;
    const message = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('widget_messages')
        .values({
          project_id: m.projectId,
          session_id: m.sessionId,
          sender: m.sender,
          agent_id: m.agentId ?? null,
          author: m.author ?? null,
          content: m.content,
          upload_id: m.uploadId ?? null,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.updateTable('widget_sessions').set({ last_message_at: now }).where('id', '=', m.sessionId).execute();
      const stored = toMessage(await this.selectIn(trx).where('widget_messages.id', '=', row.id).executeTakeFirstOrThrow());
      if (event) fired = await this.outbox.enqueueIn(trx, event(stored));
      return stored;
    });
    if (fired) this.outbox.announce([fired]);
    return message;
  }

  async get(id: number): Promise<WidgetMessage | undefined> {
    const r = await this.select().where('widget_messages.id', '=', id).executeTakeFirst();
    return r && toMessage(r);
  }

  /** Oldest first within the page; `hasMore` says whether the walk can go on in its direction. */
  async history(sessionId: number, q: HistoryQuery = {}): Promise<{ messages: WidgetMessage[]; hasMore: boolean }> {
    const limit = q.limit ?? 50;
    let query = this.select().where('widget_messages.session_id', '=', sessionId);
    if (q.after !== undefined) {
      const rows = await query
        .where('widget_messages.id', '>', q.after)
        .orderBy('widget_messages.id', 'asc')
        .limit(limit + 1)
        .execute();
      return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit };
    }
    if (q.before !== undefined) query = query.where('widget_messages.id', '<', q.before);
    const rows = await query
      .orderBy('widget_messages.id', 'desc')
      .limit(limit + 1)
      .execute();
    return { messages: rows.slice(0, limit).reverse().map(toMessage), hasMore: rows.length > limit };
  }
}
