/**
 * Aurion's chat beside voice: visitor sessions opened with a verified email, their messages and
 * attachments, and the live fan-out of each new message to the session's open sockets (the
 * visitor's, in every tab). Agents' replies come through here too, so whichever face posts a
 * message (the visitor API, the project API, a softphone) the visitor sees it the same way.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { NewWidgetMessage, Store, Widget, WidgetMessage, WidgetSession, WidgetUpload } from '../store/index.js';
import { type AttachmentStore, cleanFileName, declaredTypeMatches, sniffAttachment } from './attachments.js';

export const VISITOR_TOKEN_PREFIX = 'wst_';

/**
 * The webhook event of a visitor's new message (PRODUCT.md's `<resource>.<happening>` style, as
 * `sms.received`): the project's server learns of it without holding a socket open.
 */
export const VISITOR_MESSAGE_EVENT = 'widget_message.received';

/** The event's `data`: the message as the chat API shows it, with whose session and widget it is. */
export function visitorMessageEventData(session: WidgetSession, m: WidgetMessage): Record<string, unknown> {
  return {
    id: m.id,
    session_id: session.publicId,
    widget_id: session.widgetPublicId,
    sender: m.sender,
    content: m.content,
    attachment: m.attachment
      ? {
          upload_id: m.attachment.publicId,
          file_name: m.attachment.fileName,
          content_type: m.attachment.contentType,
          size: m.attachment.size,
          url: `/api/v1/widget/uploads/${m.attachment.publicId}`,
        }
      : null,
    created_at: m.createdAt,
    visitor: { email: session.email, display_name: session.displayName },
  };
}

/** Requests per minute: sessions per source and widget, messages and uploads per session. */
export interface ChatLimits {
  sessionsPerMinute: number;
  messagesPerMinute: number;
  uploadsPerMinute: number;
}

/** The seed's limits: create session 5/min, send message 60/min, upload attachment 30/min. */
export const CHAT_LIMITS: ChatLimits = { sessionsPerMinute: 5, messagesPerMinute: 60, uploadsPerMinute: 30 };

export interface VisitorChatOptions {
  store: Store;
  attachments: AttachmentStore;
  /** How long a visitor session (its bearer token) lives. */
  sessionTtlMs: number;
  /** Largest attachment accepted. */
  uploadMaxBytes: number;
  /** The seed's limits unless given. */
  limits?: Partial<ChatLimits>;
  /** How often `start()` looks for ended sessions' attachments and orphaned files (default a minute). */
  sweepMs?: number;
  logger?: Logger;
  now?: () => number;
}

/** Uploads removed per sweep round (a backlog is worked off round by round). */
const SWEEP_BATCH = 500;
/**
 * A file with no row is removed only once this old: between `save` and the row's insert a new
 * upload is briefly such a file.
 */
const ORPHAN_GRACE_MS = 10 * 60_000;

/** Why a session's sockets are closed: revoked by the project, its time ran out, or the server is stopping. */
export type SessionEnd = 'revoked' | 'expired' | 'shutdown';

/** An open socket's view of its session. */
export interface ChatSubscriber {
  message(m: WidgetMessage): void;
  ended(reason: SessionEnd): void;
}

/**
 * A project's live view of its visitor chat (an agent's softphone): every new session and every
 * message of any of the project's sessions, whoever sent it.
 */
export interface ProjectChatFollower {
  opened(session: WidgetSession): void;
  message(m: WidgetMessage, session: WidgetSession): void;
  /** The project ended the session (its visitor can no longer write or read). */
  ended(session: WidgetSession): void;
}

/** Why an attachment was refused: too big (413), not a kind the chat takes (415), or not what it claimed (415). */
export class AttachmentRefused extends Error {
  constructor(
    readonly reason: 'too_large' | 'unsupported_type' | 'type_mismatch',
    message: string,
  ) {
    super(message);
    this.name = 'AttachmentRefused';
  }
}

export class VisitorChat {
  private readonly subscribers = new Map<number, Set<ChatSubscriber>>();
  private readonly projectFollowers = new Map<number, Set<ProjectChatFollower>>();
  private readonly expiry = new Map<number, NodeJS.Timeout>();
  private readonly now: () => number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  readonly limits: ChatLimits;

  constructor(private readonly opts: VisitorChatOptions) {
    this.now = opts.now ?? Date.now;
    this.limits = { ...CHAT_LIMITS, ...opts.limits };
  }

  get uploadMaxBytes(): number {
    return this.opts.uploadMaxBytes;
  }

  /** A new session for a visitor whose email the widget's owner vouched for; the token is shown only now. */
  async open(
    widget: Widget,
    visitor: { email: string; displayName: string },
  ): Promise<{ session: WidgetSession; token: string }> {
    const token = VISITOR_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const session = await this.opts.store.widgetSessions.create({
      projectId: widget.projectId,
      widgetId: widget.id,
      email: visitor.email,
      displayName: visitor.displayName,
      token,
      expiresAt: new Date(this.now() + this.opts.sessionTtlMs).toISOString(),
    });
    for (const f of this.projectFollowers.get(session.projectId) ?? []) f.opened(session);
    return { session, token };
  }

  isLive(s: WidgetSession): boolean {
    return s.revokedAt === null && Date.parse(s.expiresAt) > this.now();
  }

  /** The live session a token opens; undefined for unknown, expired or revoked ones alike. */
  async authorize(token: string | undefined): Promise<WidgetSession | undefined> {
    if (!token?.startsWith(VISITOR_TOKEN_PREFIX) || token.length > 100) return undefined;
    const s = await this.opts.store.widgetSessions.findByToken(token);
    return s && this.isLive(s) ? s : undefined;
  }

  /**
   * Stores a message and hands it to every socket open on the session; a visitor's message is also
   * the `widget_message.received` webhook event (agents' replies come from the project itself).
   */
  async post(session: WidgetSession, m: Omit<NewWidgetMessage, 'projectId' | 'sessionId'>): Promise<WidgetMessage> {
    const event =
      m.sender === 'visitor'
        ? (stored: WidgetMessage) => ({
            projectId: session.projectId,
            type: VISITOR_MESSAGE_EVENT,
            data: visitorMessageEventData(session, stored),
          })
        : undefined;
    const message = await this.opts.store.widgetMessages.insert(
      { ...m, projectId: session.projectId, sessionId: session.id },
      event,
    );
    for (const sub of this.subscribers.get(session.id) ?? []) sub.message(message);
    for (const f of this.projectFollowers.get(session.projectId) ?? []) f.message(message, session);
    return message;
  }

  /** Keeps an attachment for the session; the bytes decide its type. */
  async attach(session: WidgetSession, file: { bytes: Buffer; fileName?: string; declaredType?: string }): Promise<WidgetUpload> {
    if (file.bytes.length > this.opts.uploadMaxBytes)
      throw new AttachmentRefused('too_large', `file: larger than ${this.opts.uploadMaxBytes} bytes`);
    const type = sniffAttachment(file.bytes);
    if (!type)
      throw new AttachmentRefused('unsupported_type', 'file: only PNG, JPEG, GIF, WebP, PDF and plain text are accepted');
    if (!declaredTypeMatches(file.declaredType, type))
      throw new AttachmentRefused('type_mismatch', `file: declared ${file.declaredType} but the content is ${type}`);
    const storageName = await this.opts.attachments.save(file.bytes);
    try {
      return await this.opts.store.widgetUploads.create({
        projectId: session.projectId,
        sessionId: session.id,
        fileName: cleanFileName(file.fileName),
        contentType: type,
        size: file.bytes.length,
        storageName,
      });
    } catch (err) {
      await this.opts.attachments.remove(storageName).catch(() => undefined);
      throw err;
    }
  }

  readAttachment(upload: WidgetUpload): Promise<Buffer> {
    return this.opts.attachments.read(upload.storageName);
  }

  /** Ends the session: its token stops working, its sockets are closed and its attachments deleted. */
  async revoke(session: WidgetSession): Promise<boolean> {
    const changed = await this.opts.store.widgetSessions.revoke(session.id);
    this.end(session.id, 'revoked');
    for (const f of this.projectFollowers.get(session.projectId) ?? []) f.ended(session);
    await this.discard(await this.opts.store.widgetUploads.ofSession(session.id));
    return changed;
  }

  /**
   * Sweeps now and then every `sweepMs`: attachments live as long as their session, so those of
   * expired (or revoked) sessions go, and files left without a row (their project or widget was
   * deleted) too.
   */
  start(): void {
    if (this.sweepTimer) return;
    const run = (): void => {
      void this.sweep().catch((err: unknown) => this.opts.logger?.warn({ err }, 'attachment sweep failed'));
    };
    this.sweepTimer = setInterval(run, this.opts.sweepMs ?? 60_000);
    this.sweepTimer.unref();
    run();
  }

  /** One sweep (coalesced with one in progress); resolves with how many files it removed. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    let removed = 0;
    for (;;) {
      const ended = await this.opts.store.widgetUploads.ofEndedSessions(new Date(this.now()).toISOString(), SWEEP_BATCH);
      removed += await this.discard(ended);
      if (ended.length < SWEEP_BATCH) break;
    }
    const old = (await this.opts.attachments.list()).filter((f) => this.now() - f.mtimeMs > ORPHAN_GRACE_MS);
    for (let i = 0; i < old.length; i += SWEEP_BATCH) {
      const names = old.slice(i, i + SWEEP_BATCH).map((f) => f.name);
      const known = await this.opts.store.widgetUploads.knownStorageNames(names);
      for (const name of names.filter((n) => !known.has(n))) {
        await this.opts.attachments.remove(name);
        removed++;
      }
    }
    if (removed) this.opts.logger?.info({ removed }, 'attachments of ended sessions removed');
    return removed;
  }

  /** Rows first, then files: a file whose removal failed is an orphan the next sweep takes. */
  private async discard(uploads: WidgetUpload[]): Promise<number> {
    if (uploads.length === 0) return 0;
    await this.opts.store.widgetUploads.delete(uploads.map((u) => u.id));
    let removed = 0;
    for (const u of uploads) {
      try {
        await this.opts.attachments.remove(u.storageName);
        removed++;
      } catch (err) {
        this.opts.logger?.warn({ err, upload: u.publicId }, 'attachment file not removed');
      }
    }
    return removed;
  }

  /** Follows a live session until it ends (revoked, or its expiry passes); returns the unsubscribe. */
  subscribe(session: WidgetSession, sub: ChatSubscriber): () => void {
    let set = this.subscribers.get(session.id);
    if (!set) {
      set = new Set();
      this.subscribers.set(session.id, set);
      // setTimeout's ceiling is ~24.8 days; sessions live far less
      const timer = setTimeout(
        () => {
          this.end(session.id, 'expired');
          void this.opts.store.widgetUploads
            .ofSession(session.id)
            .then((u) => this.discard(u))
            .catch((err: unknown) => this.opts.logger?.warn({ err }, 'attachments of an expired session not removed'));
        },
        Math.max(0, Date.parse(session.expiresAt) - this.now()),
      );
      timer.unref();
      this.expiry.set(session.id, timer);
    }
    set.add(sub);
    return () => {
      set.delete(sub);
      if (set.size === 0 && this.subscribers.get(session.id) === set) this.forget(session.id);
    };
  }

  /** Follows every session of a project (new ones and their messages); returns the unfollow. */
  followProject(projectId: number, f: ProjectChatFollower): () => void {
    let set = this.projectFollowers.get(projectId);
    if (!set) {
      set = new Set();
      this.projectFollowers.set(projectId, set);
    }
    set.add(f);
    return () => {
      set.delete(f);
      if (set.size === 0 && this.projectFollowers.get(projectId) === set) this.projectFollowers.delete(projectId);
    };
  }

  /** How many sockets follow a session (a tab each). */
  followers(sessionId: number): number {
    return this.subscribers.get(sessionId)?.size ?? 0;
  }

  /** Closes every socket (the server is stopping; sessions stay valid for a reconnect). */
  close(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const id of [...this.subscribers.keys()]) this.end(id, 'shutdown');
  }

  private end(sessionId: number, reason: SessionEnd): void {
    const set = this.subscribers.get(sessionId);
    this.forget(sessionId);
    for (const sub of set ?? []) sub.ended(reason);
  }

  private forget(sessionId: number): void {
    clearTimeout(this.expiry.get(sessionId));
    this.expiry.delete(sessionId);
    this.subscribers.delete(sessionId);
  }
}
