/**
 * The chat pane of the visitor widget: the conversation (oldest at the top, kept in id order
 * whatever order messages arrive in), a text box, Send, and an attach button. Every text goes in
 * as text, never as markup: a message is whatever its sender typed. Pictures are shown inline,
 * other attachments as a download; both are fetched with the session's token.
 */
import type { ChatAttachment, ChatMessage, ChatStatus } from './chat.js';
import { paperclip } from '../shared/paperclip.js';

export interface ChatViewActions {
  send(text: string): Promise<void>;
  sendFile(file: File): Promise<void>;
  attachment(a: ChatAttachment): Promise<Blob>;
}

/** What the file picker offers: the kinds the server takes (it decides by the bytes anyway). */
const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.txt,.pdf';

const STATUS: Record<ChatStatus, string> = {
  'signed-out': 'Sign in on this site to chat with us.',
  connecting: 'Connecting…',
  ready: '',
  ended: 'This conversation has ended.',
  error: 'The chat is not available right now.',
};

export const CHAT_CSS = (primary: string) => `
  .chat { display: flex; flex-direction: column; gap: 8px; }
  .chat[hidden] { display: none; }
  .messages { height: 240px; overflow-y: auto; display: flex; flex-direction: column; gap: 6px; padding: 4px;
    background: #f4f4f5; border-radius: 8px; }
  .msg { max-width: 80%; padding: 6px 10px; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .msg.visitor { align-self: flex-end; background: ${primary}; color: #fff; }
  .msg.agent { align-self: flex-start; background: #fff; color: #111; border: 1px solid #e4e4e7; }
  .msg .author { display: block; font-size: 11px; opacity: .7; margin-bottom: 2px; }
  .msg img { display: block; max-width: 100%; max-height: 160px; border-radius: 6px; margin-top: 4px; }
  .msg a { color: inherit; }
  .chat-status { font-size: 12px; color: #52525b; margin: 0; min-height: 1em; }
  .chat-status.error { color: #b42318; }
  form.compose { display: flex; gap: 6px; margin: 0; }
  form.compose textarea { flex: 1; resize: none; height: 38px; padding: 8px; border-radius: 8px; border: 1px solid #d4d4d8;
    font: 14px system-ui, sans-serif; }
  form.compose button { border: 0; border-radius: 8px; padding: 0 12px; cursor: pointer; font: 600 14px system-ui, sans-serif;
    background: ${primary}; color: #fff; }
  form.compose button.attach { background: #e4e4e7; color: #111; padding: 0 10px; }
  form.compose button:disabled { opacity: .5; cursor: default; }`;

export class ChatView {
  readonly element: HTMLDivElement;
  private readonly list: HTMLDivElement;
  private readonly status: HTMLParagraphElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly attachButton: HTMLButtonElement;
  private readonly picker: HTMLInputElement;
  private readonly shown = new Map<number, HTMLElement>();
  private usable = false;

  constructor(private readonly actions: ChatViewActions) {
    this.element = document.createElement('div');
    this.element.className = 'chat';
    this.list = document.createElement('div');
    this.list.className = 'messages';
    this.list.setAttribute('role', 'log');
    this.list.setAttribute('aria-live', 'polite');
    this.status = document.createElement('p');
    this.status.className = 'chat-status';
    const form = document.createElement('form');
    form.className = 'compose';
    this.input = document.createElement('textarea');
    this.input.placeholder = 'Type a message…';
    this.input.maxLength = 4000;
    this.input.setAttribute('aria-label', 'Message');
    this.sendButton = document.createElement('button');
    this.sendButton.type = 'submit';
    this.sendButton.className = 'send';
    this.sendButton.textContent = 'Send';
    this.attachButton = document.createElement('button');
    this.attachButton.type = 'button';
    this.attachButton.className = 'attach';
    this.attachButton.append(paperclip(18));
    this.attachButton.setAttribute('aria-label', 'Attach a file');
    this.picker = document.createElement('input');
    this.picker.type = 'file';
    this.picker.accept = ACCEPT;
    this.picker.hidden = true;
    form.append(this.input, this.attachButton, this.sendButton, this.picker);
    this.element.append(this.list, this.status, form);

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    // Enter sends, Shift+Enter is a new line (as chat boxes do)
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        void this.submit();
      }
    });
    this.attachButton.addEventListener('click', () => this.picker.click());
    this.picker.addEventListener('change', () => {
      const file = this.picker.files?.[0];
      this.picker.value = '';
      if (file) void this.run(() => this.actions.sendFile(file));
    });
    this.setStatus('connecting');
  }

  setStatus(s: ChatStatus, detail?: string): void {
    this.element.dataset.chat = s;
    this.usable = s === 'ready';
    this.status.classList.toggle('error', s === 'error');
    this.status.textContent = s === 'error' && detail ? `The chat is not available: ${detail}` : (detail ?? STATUS[s]);
    for (const b of [this.sendButton, this.attachButton]) b.disabled = !this.usable;
    this.input.disabled = !this.usable;
  }

  add(m: ChatMessage): void {
    if (this.shown.has(m.id)) return;
    const el = document.createElement('div');
    el.className = `msg ${m.sender === 'agent' ? 'agent' : 'visitor'}`;
    el.dataset.id = String(m.id);
    el.dataset.sender = m.sender;
    if (m.sender === 'agent' && m.author) {
      const who = document.createElement('span');
      who.className = 'author';
      who.textContent = m.author;
      el.append(who);
    }
    if (m.content) {
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = m.content;
      el.append(text);
    }
    if (m.attachment) el.append(this.attachmentElement(m.attachment));
    // in id order: a message of another tab may arrive after a newer one
    const next = [...this.shown.entries()].filter(([id]) => id > m.id).sort(([a], [b]) => a - b)[0]?.[1];
    this.list.insertBefore(el, next ?? null);
    this.shown.set(m.id, el);
    if (!next) this.list.scrollTop = this.list.scrollHeight;
  }

  focus(): void {
    this.input.focus();
  }

  private attachmentElement(a: ChatAttachment): HTMLElement {
    const box = document.createElement('span');
    box.className = 'attachment';
    box.dataset.uploadId = a.upload_id;
    const link = document.createElement('a');
    link.textContent = a.file_name;
    link.href = '#';
    link.addEventListener('click', (e) => {
      e.preventDefault();
      void this.actions.attachment(a).then((blob) => {
        const url = URL.createObjectURL(blob);
        const save = document.createElement('a');
        save.href = url;
        save.download = a.file_name;
        save.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      });
    });
    box.append(link);
    if (a.content_type.startsWith('image/')) {
      const img = document.createElement('img');
      img.alt = a.file_name;
      box.append(img);
      void this.actions
        .attachment(a)
        .then((blob) => {
          img.src = URL.createObjectURL(blob);
        })
        .catch(() => img.remove());
    }
    return box;
  }

  private async submit(): Promise<void> {
    const text = this.input.value.trim();
    if (!text || !this.usable) return;
    const ok = await this.run(() => this.actions.send(text));
    if (ok) this.input.value = '';
  }

  /** Runs a send; a refusal (too big, wrong type, too fast) is said under the conversation, and the text stays. */
  private async run(fn: () => Promise<void>): Promise<boolean> {
    this.sendButton.disabled = true;
    try {
      await fn();
      this.status.classList.remove('error');
      this.status.textContent = '';
      return true;
    } catch (err) {
      this.status.classList.add('error');
      this.status.textContent = err instanceof Error ? err.message : String(err);
      return false;
    } finally {
      this.sendButton.disabled = !this.usable;
    }
  }
}
