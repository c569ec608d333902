/**
 * The visitor's chat session (Aurion's chat mode), as the widget runs it: a session opened for the
 * email the host page's server signed (`email_token`), kept in this browser so that a reload or a
 * new tab continues the same conversation (history first, then the live socket), messages sent by
 * POST, attachments uploaded then sent as a message, and every new message of the session (the
 * visitor's own from any tab, agents' replies) arriving on `/api/v1/widget/ws`.
 */

export interface ChatIdentity {
  email_token: string;
  display_name: string;
}

export interface ChatAttachment {
  upload_id: string;
  file_name: string;
  content_type: string;
  size: number;
  url: string;
}

export interface ChatMessage {
  id: number;
  sender: 'visitor' | 'agent';
  author: string | null;
  content: string;
  attachment: ChatAttachment | null;
  created_at: string;
}

export type ChatStatus = 'signed-out' | 'connecting' | 'ready' | 'ended' | 'error';

export interface ChatListener {
  message(m: ChatMessage): void;
  status(s: ChatStatus, detail?: string): void;
}

interface StoredSession {
  token: string;
  session_id: string;
  expires_at: string;
  email: string;
}

/** Why a request failed, with the server's own words (they name the field or the limit). */
export class ChatError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ChatError';
  }
}

/** The email an `email_token` carries (its first part, base64url): a stored session is reused for that visitor only. */
function emailOf(emailToken: string): string | undefined {
  const b64 = emailToken.split('.')[0] ?? '';
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(b64.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

const RECONNECT_MS = [500, 1000, 2000, 5000, 10000];

export class ChatClient {
  private session: StoredSession | undefined;
  private socket: WebSocket | undefined;
  private readonly seen = new Set<number>();
  private lastId = 0;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private opening: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly base: string,
    private readonly widgetId: string,
    private readonly listener: ChatListener,
    private identity: ChatIdentity | undefined,
  ) {}

  private get storageKey(): string {
    return `switchboard-chat:${this.widgetId}`;
  }

  get ready(): boolean {
    return this.session !== undefined && this.socket?.readyState === WebSocket.OPEN;
  }

  get sessionId(): string | undefined {
    return this.session?.session_id;
  }

  /** Who the visitor is, as the host page's server vouched; a different visitor starts afresh. */
  identify(identity: ChatIdentity): Promise<void> {
    const changed = this.identity?.email_token !== identity.email_token;
    this.identity = identity;
    if (changed && this.session && this.session.email !== emailOf(identity.email_token)) this.forget();
    return this.open();
  }

  /** Opens (or resumes) the session, loads its history and follows it live. Idempotent. */
  open(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.opening ??= this.doOpen().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    if (this.ready) return;
    this.listener.status('connecting');
    try {
      if (!this.session) this.session = this.stored();
      if (!this.session) {
        if (!this.identity) {
          this.listener.status('signed-out');
          return;
        }
        this.session = await this.create(this.identity);
      }
      try {
        await this.catchUp();
      } catch (err) {
        // an expired or revoked session: a fresh one for the same visitor, when the page vouched for one
        if (!(err instanceof ChatError && err.status === 401)) throw err;
        this.forget();
        if (!this.identity) {
          this.listener.status('signed-out');
          return;
        }
        this.session = await this.create(this.identity);
        await this.catchUp();
      }
      this.follow();
    } catch (err) {
      this.listener.status('error', err instanceof Error ? err.message : String(err));
    }
  }

  async send(content: string, attachmentId?: string): Promise<ChatMessage> {
    await this.open();
    const m = await this.request<ChatMessage>('/api/v1/widget/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(attachmentId ? { content, attachment_id: attachmentId } : { content }),
    });
    this.deliver(m);
    return m;
  }

  /** Uploads the file, then sends it as a message (with `content` as its caption). */
  async sendFile(file: Blob, fileName: string, content = ''): Promise<ChatMessage> {
    await this.open();
    const form = new FormData();
    form.append('file', file, fileName);
    const up = await this.request<ChatAttachment>('/api/v1/widget/uploads', { method: 'POST', body: form });
    return this.send(content, up.upload_id);
  }

  /** An attachment's bytes (downloads need the session's token, so no plain link works). */
  async attachmentBlob(a: ChatAttachment): Promise<Blob> {
    const res = await fetch(this.base + a.url, { headers: this.auth() });
    if (!res.ok) throw new ChatError(res.status, `attachment: ${res.status}`);
    return res.blob();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000);
    this.socket = undefined;
  }

  private auth(): Record<string, string> {
    return this.session ? { authorization: `Bearer ${this.session.token}` } : {};
  }

  private async request<T>(path: string, init: RequestInit): Promise<T> {
    const res = await fetch(this.base + path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...this.auth() },
    });
    const body = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (!res.ok) {
      if (res.status === 401) this.forget();
      throw new ChatError(res.status, body.error ?? `request refused (${res.status})`);
    }
    return body;
  }

  private async create(identity: ChatIdentity): Promise<StoredSession> {
    const res = await fetch(`${this.base}/api/v1/widget/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ widget_id: this.widgetId, ...identity }),
    });
    const body = (await res.json().catch(() => ({}))) as {
      token?: string;
      session_id?: string;
      expires_at?: string;
      error?: string;
    };
    if (res.status !== 201 || !body.token) throw new ChatError(res.status, body.error ?? `chat session refused (${res.status})`);
    const s: StoredSession = {
      token: body.token,
      session_id: body.session_id ?? '',
      expires_at: body.expires_at ?? '',
      email: emailOf(identity.email_token) ?? '',
    };
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(s));
    } catch {
      /* storage refused (private mode): the session lasts this page only */
    }
    return s;
  }

  private stored(): StoredSession | undefined {
    try {
      const s = JSON.parse(localStorage.getItem(this.storageKey) ?? 'null') as StoredSession | null;
      if (!s?.token || Date.parse(s.expires_at) <= Date.now()) return undefined;
      if (this.identity && s.email !== emailOf(this.identity.email_token)) return undefined;
      return s;
    } catch {
      return undefined;
    }
  }

  private forget(): void {
    this.session = undefined;
    this.socket?.close(1000);
    this.socket = undefined;
    this.seen.clear();
    this.lastId = 0;
    try {
      localStorage.removeItem(this.storageKey);
    } catch {
      /* nothing stored */
    }
  }

  /** Messages since the last one shown (all of them, a page at a time, on the first look). */
  private async catchUp(): Promise<void> {
    for (;;) {
      const first = this.lastId === 0;
      const q = first ? 'limit=200' : `after=${this.lastId}&limit=200`;
      const page = await this.request<{ messages: ChatMessage[]; has_more: boolean }>(`/api/v1/widget/history?${q}`, {});
      for (const m of page.messages) this.deliver(m);
      // the newest page comes first without `after`: older pages stay with the server
      if (first || !page.has_more || page.messages.length === 0) break;
    }
  }

  private follow(): void {
    const s = this.session;
    if (!s) return;
    const url = `${this.base.replace(/^http/, 'ws')}/api/v1/widget/ws?token=${encodeURIComponent(s.token)}`;
    const ws = new WebSocket(url);
    this.socket = ws;
    ws.onmessage = (e) => {
      let frame: { type?: string } & Partial<ChatMessage>;
      try {
        frame = JSON.parse(String(e.data)) as typeof frame;
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        this.retries = 0;
        this.listener.status('ready');
        // what arrived between the history and the socket
        void this.catchUp().catch(() => undefined);
      } else if (frame.type === 'message') this.deliver(frame as ChatMessage);
    };
    ws.onclose = (e) => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      if (this.closed) return;
      if (e.code === 4001 || e.code === 4002) {
        // revoked or expired: the conversation stays on screen; a new one needs the page's word again
        this.forget();
        this.listener.status('ended', e.code === 4001 ? 'This conversation was closed.' : 'This conversation has expired.');
        return;
      }
      this.listener.status('connecting');
      const wait = RECONNECT_MS[Math.min(this.retries++, RECONNECT_MS.length - 1)]!;
      this.retryTimer = setTimeout(() => void this.open(), wait);
    };
  }

  private deliver(m: ChatMessage): void {
    if (typeof m.id !== 'number' || this.seen.has(m.id)) return;
    this.seen.add(m.id);
    if (m.id > this.lastId) this.lastId = m.id;
    this.listener.message(m);
  }
}
