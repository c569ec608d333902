/**
 * The softphone's chat panel: the project's open visitor conversations, one conversation's
 * history, and the agent's reply box. It talks to the server with the page's `voywt_` token only
 * (list, history, reply and attachments under /v1/agent-widget/conversations) and follows new conversations and
 * messages on /v1/agent-widget/ws from the first time the agent opens the panel (collapsed under the
 * call controls, so the phone keeps its place); an unread count shows on the toggle after that. Everything a visitor wrote is
 * put on the page as text, never as markup.
 */
import { paperclip } from '../shared/paperclip.js';

export interface Conversation {
  session_id: string;
  display_name: string;
  email: string;
  status: string;
  last_message_at: string | null;
}

export interface Attachment {
  upload_id: string;
  file_name: string;
  content_type: string;
  size: number;
}

/** What the server stores (by content): pictures, PDF and plain text. */
const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain';

export interface ChatMessage {
  id: number;
  session_id: string;
  sender: 'visitor' | 'agent';
  author: string | null;
  content: string;
  attachment: Attachment | null;
  created_at: string;
}

type Frame =
  | { type: 'ready' }
  | { type: 'conversation'; conversation: Conversation }
  | { type: 'message'; conversation: Conversation; message: ChatMessage }
  | { type: 'ended'; session_id: string };

interface Entry {
  conversation: Conversation;
  preview: string;
  unread: number;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text) e.textContent = text;
  return e;
}

const previewOf = (m: ChatMessage): string => m.content || (m.attachment ? `📎 ${m.attachment.file_name}` : '');

export class ChatPanel {
  private readonly entries = new Map<string, Entry>();
  private readonly toggle = el('button', 'sp-chat-toggle', 'Chats');
  private readonly badge = el('span', 'sp-chat-badge');
  private readonly body = el('div', 'sp-chat-body');
  private readonly list = el('ul', 'sp-chat-list');
  private readonly empty = el('p', 'sp-chat-empty', 'No open chats');
  private readonly thread = el('div', 'sp-chat-thread');
  private readonly title = el('span', 'sp-chat-title');
  private readonly messages = el('div', 'sp-chat-msgs');
  private readonly input = el('input', 'sp-chat-input');
  private readonly send = el('button', 'sp-btn sp-primary sp-chat-send', 'Send');
  private readonly attach = el('button', 'sp-btn sp-chat-attach');
  private readonly file = el('input', 'sp-chat-file-input');
  private readonly status = el('div', 'sp-chat-status');
  /** The open conversation and the ids of the messages it shows (a reply arrives by its answer and the socket). */
  private current: string | undefined;
  private shown = new Set<number>();
  private socket: WebSocket | undefined;
  private ended = false;
  private retryMs = 1000;

  constructor(
    root: HTMLElement,
    private readonly token: string,
  ) {
    const section = el('section', 'sp-chat');
    this.toggle.type = 'button';
    this.toggle.setAttribute('aria-expanded', 'false');
    this.toggle.appendChild(this.badge);
    this.badge.hidden = true;
    const back = el('button', 'sp-chat-back', '‹ Chats');
    back.type = 'button';
    const head = el('div', 'sp-chat-head');
    head.append(back, this.title);
    const form = el('form', 'sp-chat-form');
    this.input.placeholder = 'Reply…';
    this.input.maxLength = 4000;
    this.input.autocomplete = 'off';
    this.input.setAttribute('aria-label', 'Reply to the visitor');
    this.send.type = 'submit';
    this.attach.type = 'button';
    this.attach.appendChild(paperclip(14, 'sp-chat-clip'));
    this.attach.title = 'Attach a file';
    this.attach.setAttribute('aria-label', 'Attach a file');
    this.file.type = 'file';
    this.file.accept = ACCEPT;
    this.file.hidden = true;
    form.append(this.attach, this.file, this.input, this.send);
    this.thread.append(head, this.messages, form);
    this.thread.hidden = true;
    this.body.append(this.status, this.list, this.empty, this.thread);
    this.body.hidden = true;
    this.status.hidden = true;
    section.append(this.toggle, this.body);
    root.appendChild(section);

    this.toggle.addEventListener('click', () => {
      // The stream is opened the first time the agent looks, and kept: a softphone used only for
      // calls keeps a single WebSocket, its SIP line.
      if (!this.socket) this.connect();
      this.body.hidden = !this.body.hidden;
      this.toggle.setAttribute('aria-expanded', String(!this.body.hidden));
      // In a 320×480 frame the keypad and an open chat do not both fit: the chat takes its place
      // (the number field and Call stay, digits can be typed).
      root.classList.toggle('sp-chatting', !this.body.hidden);
    });
    back.addEventListener('click', () => this.close());
    this.attach.addEventListener('click', () => this.file.click());
    this.file.addEventListener('change', () => {
      const f = this.file.files?.[0];
      this.file.value = '';
      if (f) void this.reply(f);
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.reply();
    });
  }

  /** Loads the open conversations; they are followed live from the first time the panel is opened. */
  start(): void {
    void this.refresh();
  }

  private async api<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(path, {
      ...init,
      // a FormData body sets its own multipart content type
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
      },
    });
    const body = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (res.status === 401) this.signedOut();
    if (!res.ok) throw new Error(body.error ?? `chat request failed (${res.status})`);
    return body;
  }

  private async refresh(): Promise<void> {
    try {
      const { conversations } = await this.api<{ conversations: Conversation[] }>('/v1/agent-widget/conversations');
      for (const c of conversations) this.upsert(c);
      if (this.current) await this.load(this.current);
      this.note('');
    } catch (e) {
      if (!this.ended) this.note((e as Error).message);
    }
  }

  private connect(): void {
    if (this.ended) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/agent-widget/ws?token=${encodeURIComponent(this.token)}`;
    const ws = new WebSocket(url);
    this.socket = ws;
    ws.addEventListener('message', (e) => {
      let f: Frame;
      try {
        f = JSON.parse(String(e.data)) as Frame;
      } catch {
        return;
      }
      if (f.type === 'ready') {
        // after a reconnect, what arrived while away is read again
        if (this.retryMs > 1000) void this.refresh();
        this.retryMs = 1000;
      } else if (f.type === 'conversation') this.upsert(f.conversation);
      else if (f.type === 'message') this.arrived(f.conversation, f.message);
      else if (f.type === 'ended') this.endConversation(f.session_id);
    });
    ws.addEventListener('close', (e) => {
      if (this.socket !== ws) return;
      if (e.code === 4001 || e.code === 4002) return this.signedOut();
      // The server went away or the network dropped: come back, slower each time.
      this.retryMs = Math.min(this.retryMs * 2, 30000);
      setTimeout(() => this.connect(), this.retryMs);
    });
  }

  private signedOut(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket?.close();
    this.input.disabled = this.send.disabled = this.attach.disabled = true;
    this.note('Chat unavailable: this softphone session has ended.');
  }

  private note(text: string): void {
    this.status.textContent = text;
    this.status.hidden = !text;
  }

  private upsert(c: Conversation, preview?: string): Entry {
    let entry = this.entries.get(c.session_id);
    if (!entry) {
      entry = { conversation: c, preview: preview ?? '', unread: 0 };
      this.entries.set(c.session_id, entry);
    } else {
      entry.conversation = c;
      if (preview !== undefined) entry.preview = preview;
    }
    this.drawList();
    return entry;
  }

  private arrived(c: Conversation, m: ChatMessage): void {
    const entry = this.upsert(c, previewOf(m));
    if (this.current === c.session_id && !this.thread.hidden) this.show(m);
    else if (m.sender === 'visitor') entry.unread++;
    this.drawList();
  }

  /** The visitor's session was ended: it leaves the list, and its open thread says so. */
  private endConversation(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    entry.conversation = { ...entry.conversation, status: 'revoked' };
    entry.unread = 0;
    if (this.current === sessionId) this.note(`${entry.conversation.display_name} has left the chat.`);
    this.drawList();
  }

  private drawList(): void {
    const sorted = [...this.entries.values()]
      .filter((e) => e.conversation.status === 'active')
      .sort((a, b) => (b.conversation.last_message_at ?? '').localeCompare(a.conversation.last_message_at ?? ''));
    const items = sorted.map((e) => {
      const li = el('li', 'sp-chat-entry');
      const b = el('button', 'sp-chat-item');
      b.type = 'button';
      b.dataset.session = e.conversation.session_id;
      b.classList.toggle('sp-chat-unread', e.unread > 0);
      const name = el('span', 'sp-chat-name', e.conversation.display_name);
      name.title = e.conversation.email;
      b.append(name, el('span', 'sp-chat-preview', e.preview));
      if (e.unread) b.appendChild(el('span', 'sp-chat-count', String(e.unread)));
      b.addEventListener('click', () => void this.open(e.conversation.session_id));
      li.appendChild(b);
      return li;
    });
    this.list.replaceChildren(...items);
    this.empty.hidden = items.length > 0 || !this.thread.hidden;
    const unread = sorted.reduce((n, e) => n + e.unread, 0);
    this.badge.textContent = String(unread);
    this.badge.hidden = unread === 0;
  }

  private async open(sessionId: string): Promise<void> {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.current = sessionId;
    entry.unread = 0;
    this.title.textContent = entry.conversation.display_name;
    this.list.hidden = true;
    this.thread.hidden = false;
    this.thread.dataset.session = sessionId;
    this.drawList();
    await this.load(sessionId);
    this.input.focus();
  }

  private close(): void {
    this.current = undefined;
    this.thread.hidden = true;
    this.list.hidden = false;
    this.drawList();
  }

  private async load(sessionId: string): Promise<void> {
    try {
      const page = await this.api<{ messages: ChatMessage[] }>(
        `/v1/agent-widget/conversations/${encodeURIComponent(sessionId)}/messages?limit=100`,
      );
      if (this.current !== sessionId) return;
      this.shown = new Set();
      this.messages.replaceChildren();
      for (const m of page.messages) this.show(m);
    } catch (e) {
      this.note((e as Error).message);
    }
  }

  private show(m: ChatMessage): void {
    if (this.shown.has(m.id)) return;
    this.shown.add(m.id);
    const row = el('div', 'sp-chat-msg');
    row.dataset.sender = m.sender;
    row.dataset.id = String(m.id);
    if (m.sender === 'agent' && m.author) row.appendChild(el('span', 'sp-chat-author', m.author));
    if (m.content || !m.attachment) row.appendChild(el('span', 'sp-chat-text', m.content));
    if (m.attachment) row.appendChild(this.attachmentElement(m.session_id, m.attachment));
    this.messages.appendChild(row);
    this.messages.scrollTop = this.messages.scrollHeight;
  }

  /**
   * A file of the conversation: pictures shown in place, anything else saved when clicked. Both are
   * fetched with the session's token (no plain link carries it) and shown from a blob URL.
   */
  private attachmentElement(sessionId: string, a: Attachment): HTMLElement {
    const box = el('div', 'sp-chat-attachment');
    box.dataset.uploadId = a.upload_id;
    const path = `/v1/agent-widget/conversations/${encodeURIComponent(sessionId)}/uploads/${encodeURIComponent(a.upload_id)}`;
    const blob = async (): Promise<Blob> => {
      const res = await fetch(path, { headers: { authorization: `Bearer ${this.token}` } });
      if (res.status === 401) this.signedOut();
      if (!res.ok) throw new Error(`attachment: ${res.status}`);
      return res.blob();
    };
    if (a.content_type.startsWith('image/')) {
      const img = el('img', 'sp-chat-img');
      img.alt = a.file_name;
      box.appendChild(img);
      blob().then(
        (b) => {
          // the decoded picture stays on screen; the blob need not outlive the load
          img.addEventListener('load', () => URL.revokeObjectURL(img.src), { once: true });
          img.src = URL.createObjectURL(b);
        },
        (e: Error) => this.note(e.message),
      );
      return box;
    }
    const save = el('button', 'sp-chat-download');
    save.type = 'button';
    save.title = `Save ${a.file_name}`;
    save.append(paperclip(14, 'sp-chat-clip'), ` ${a.file_name}`);
    save.addEventListener('click', () => {
      blob().then(
        (b) => {
          const link = document.createElement('a');
          link.href = URL.createObjectURL(b);
          link.download = a.file_name;
          link.click();
          setTimeout(() => URL.revokeObjectURL(link.href), 60000);
        },
        (e: Error) => this.note(e.message),
      );
    });
    box.appendChild(save);
    return box;
  }

  /** Sends the typed text, with `file` uploaded first and attached when given. */
  private async reply(file?: File): Promise<void> {
    const sessionId = this.current;
    const content = this.input.value.trim();
    if (!sessionId || (!content && !file) || this.ended) return;
    this.send.disabled = this.attach.disabled = true;
    const conversation = `/v1/agent-widget/conversations/${encodeURIComponent(sessionId)}`;
    try {
      let attachmentId: string | undefined;
      if (file) {
        const form = new FormData();
        form.append('file', file, file.name);
        attachmentId = (await this.api<Attachment>(`${conversation}/uploads`, { method: 'POST', body: form })).upload_id;
      }
      const m = await this.api<ChatMessage>(`${conversation}/messages`, {
        method: 'POST',
        body: JSON.stringify(attachmentId ? { content, attachment_id: attachmentId } : { content }),
      });
      this.input.value = '';
      this.note('');
      if (this.current === sessionId) this.show(m);
    } catch (e) {
      this.note((e as Error).message);
    } finally {
      this.send.disabled = this.attach.disabled = this.ended;
    }
  }
}
