/**
 * The visitor web-call widget: one script tag puts a launcher on the page; click → consent (when
 * the widget asks for it) → microphone → a call to whatever the widget points at. Settings come
 * injected by `/widget/<id>.js`, or are fetched for `<script data-widget-id>` (Aurion's embed).
 * `window.PolyphoneAPI` drives it from the page (PolyAI's commands and `on*` events). One call per
 * visitor across tabs: a Web Lock is held for the length of a call. With `chat` in the widget's
 * modes, a Chat pane beside the call: the host page names its visitor with `data-email-token` and
 * `data-display-name` on the script tag (or `PolyphoneAPI.identify`), as its server signed them.
 */
import { VisitorCall, type CallStats, type VisitorToken } from './call.js';
import { ChatClient, type ChatIdentity, type ChatMessage } from './chat.js';
import { ChatView } from './chat-view.js';
import { EVENT_NAMES, Emitter, type EventName, type Handler } from './events.js';
import { Launcher, type LauncherSettings, type WidgetMode, type WidgetState } from './ui.js';

interface Settings extends LauncherSettings {
  widget_id: string;
  consent_required: boolean;
  callable: boolean;
  base: string;
  /** With chat: the largest attachment the server takes. */
  upload_max_bytes?: number;
}

const CALL_LOCK = 'switchboard-visitor-call';

const sizeText = (bytes: number): string =>
  bytes >= 1048576 ? `${+(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;

declare global {
  interface Window {
    __switchboardWidget?: Settings;
    PolyphoneAPI?: Record<string, unknown>;
  }
}

class VisitorWidget {
  readonly events = new Emitter();
  private readonly ui: Launcher;
  private readonly call: VisitorCall;
  private consented = false;
  /** What `ready` carried, once the widget mounted. */
  readyData: { widgetId: string } | undefined;
  private releaseLock: (() => void) | undefined;
  private state: WidgetState = 'idle';
  readonly chat: ChatClient | undefined;

  constructor(
    private readonly settings: Settings,
    identity?: ChatIdentity,
  ) {
    let view: ChatView | undefined;
    if (settings.modes?.includes('chat')) {
      this.chat = new ChatClient(
        settings.base,
        settings.widget_id,
        {
          message: (m) => {
            view?.add(m);
            this.events.emit('message', m);
          },
          status: (st, detail) => view?.setStatus(st, detail),
        },
        identity,
      );
      const chat = this.chat;
      view = new ChatView({
        send: async (text) => void (await chat.send(text)),
        sendFile: async (file) => {
          // the server refuses it anyway (413): saying so before the upload spares the visitor's bandwidth
          const max = settings.upload_max_bytes;
          if (max !== undefined && file.size > max)
            throw new Error(`${file.name} is too large: files up to ${sizeText(max)} can be sent`);
          await chat.sendFile(file, file.name);
        },
        attachment: (a) => chat.attachmentBlob(a),
      });
    }
    this.ui = new Launcher(
      settings,
      {
        call: () => void this.startCall().catch(() => undefined),
        agree: () => {
          this.consented = true;
          void this.startCall().catch(() => undefined);
        },
        end: () => void this.endCall(),
        toggleMute: () => (this.call.muted ? this.unmute() : this.mute()),
      },
      view,
    );
    // the chat connects the first time its pane is shown (the visitor opened it, or the page did)
    this.ui.onModeShown((mode) => {
      if (mode === 'chat') void this.chat?.open();
    });
    this.call = new VisitorCall(() => this.token(), this.events, this.ui.remoteAudio);
    this.events.on('answered', () => this.show('in-call'));
    this.events.on('failed', (d) =>
      this.show('error', `The call was refused (${(d as { statusCode?: number })?.statusCode ?? '?'}).`),
    );
    this.events.on('ended', () => {
      if (this.state !== 'error') this.show('ended');
      this.unlock();
    });
    this.events.on('muted', () => this.ui.setMuted(true));
    this.events.on('unmuted', () => this.ui.setMuted(false));
  }

  mount(): void {
    this.ui.mount();
    if (!this.ui.modes.includes('voice')) {
      /* a chat-only widget: no call to explain */
    } else if (!this.settings.callable) {
      // beside a chat, a call pane with nothing to call does not pop up over the page
      this.state = 'error';
      this.ui.show('error', 'Calls are not available right now.', this.ui.modes.includes('chat'));
    } else if (typeof RTCPeerConnection === 'undefined' || !navigator.mediaDevices)
      this.show('error', 'This browser cannot make web calls (or the page is not served over HTTPS).');
    this.readyData = { widgetId: this.settings.widget_id };
    this.events.emit('ready', this.readyData);
  }

  async connect(): Promise<void> {
    try {
      await this.call.connect();
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    await this.call.disconnect();
  }

  async startCall(): Promise<void> {
    if (this.call.inCall) return;
    if (this.settings.consent_required && !this.consented) {
      this.show('consent');
      return;
    }
    if (!(await this.lock())) {
      this.show('blocked');
      this.events.emit('error', { message: 'a call is already active in another tab' });
      return;
    }
    this.show('connecting');
    try {
      await this.call.startCall();
    } catch (err) {
      this.unlock();
      this.fail(err);
      throw err;
    }
  }

  async endCall(): Promise<void> {
    await this.call.endCall();
  }

  mute(): void {
    this.call.setMuted(true);
  }

  unmute(): void {
    this.call.setMuted(false);
  }

  sendInfo(event: string, data?: unknown): Promise<void> {
    return this.call.sendInfo(event, data ?? null);
  }

  session(): Record<string, unknown> | null {
    if (!this.call.inCall && this.state !== 'ended') return null;
    return {
      id: this.call.callId,
      state: this.state,
      sipState: this.call.sessionState,
      muted: this.call.muted,
      startedAt: this.call.startedAt,
      widgetId: this.settings.widget_id,
    };
  }

  get widgetState(): WidgetState {
    return this.state;
  }

  stats(): Promise<CallStats> {
    return this.call.stats();
  }

  get connected(): boolean {
    return this.call.connected;
  }

  /** Opens the panel on a pane (the chat's connects). */
  open(mode?: WidgetMode): void {
    this.ui.open(mode);
  }

  identify(identity: ChatIdentity): Promise<void> {
    if (!this.chat) return Promise.reject(new Error('chat is not enabled on this widget'));
    if (typeof identity?.email_token !== 'string' || typeof identity.display_name !== 'string')
      return Promise.reject(new Error('identify({email_token, display_name}): both are strings'));
    return this.chat.identify(identity);
  }

  sendMessage(text: string): Promise<ChatMessage> {
    if (!this.chat) return Promise.reject(new Error('chat is not enabled on this widget'));
    return this.chat.send(text);
  }

  async destroy(): Promise<void> {
    this.chat?.close();
    await this.call.disconnect();
    this.unlock();
    this.ui.remove();
    this.events.clear();
  }

  private show(state: WidgetState, detail?: string): void {
    this.state = state;
    this.ui.show(state, detail);
  }

  private fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.show('error', message.length < 120 ? `The call could not be made: ${message}` : undefined);
    this.events.emit('error', { message });
  }

  /** Takes the visitor's cross-tab call lock without waiting; false when another tab holds it. */
  private lock(): Promise<boolean> {
    if (this.releaseLock) return Promise.resolve(true);
    if (!navigator.locks) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      void navigator.locks.request(CALL_LOCK, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        return new Promise<void>((release) => {
          this.releaseLock = release;
        });
      });
    });
  }

  private unlock(): void {
    const release = this.releaseLock;
    this.releaseLock = undefined;
    release?.();
  }

  private async token(): Promise<VisitorToken> {
    const res = await fetch(`${this.settings.base}/api/v1/voice-widget/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ widget_id: this.settings.widget_id }),
    });
    const body = (await res.json().catch(() => ({}))) as VisitorToken & { error?: string };
    if (res.status !== 201) throw new Error(body.error ?? `session refused (${res.status})`);
    return body;
  }
}

/** `window.PolyphoneAPI`: the seed's commands, `on<Event>(handler)` for each event, and `off(name, handler)`. */
function polyphoneApi(w: VisitorWidget): Record<string, unknown> {
  const api: Record<string, unknown> = {
    connect: () => w.connect(),
    disconnect: () => w.disconnect(),
    startCall: () => w.startCall(),
    endCall: () => w.endCall(),
    connectAndCall: async () => {
      await w.connect();
      await w.startCall();
    },
    mute: () => w.mute(),
    unmute: () => w.unmute(),
    sendInfo: (event: string, data?: unknown) => w.sendInfo(event, data),
    isConnected: () => w.connected,
    getCurrentSession: () => w.session(),
    /** Not in the seed: the widget's state and the call's audio counters, for diagnostics. */
    getState: () => w.widgetState,
    getStats: () => w.stats(),
    destroy: async () => {
      await w.destroy();
      delete window.PolyphoneAPI;
    },
    off: (name: EventName, fn: Handler) => w.events.off(name, fn),
    /** Not in the seed (Aurion's chat mode): open the panel, on `"chat"` or `"voice"`. */
    open: (mode?: WidgetMode) => w.open(mode),
    /** The visitor the host page's server vouched for: `{email_token, display_name}` (see the signing recipe). */
    identify: (identity: ChatIdentity) => w.identify(identity),
    /** Sends a chat message as the visitor; resolves with it as stored. */
    sendMessage: (text: string) => w.sendMessage(text),
    /** The chat session's id (`ws_…`) once one is open. */
    getChatSession: () => w.chat?.sessionId ?? null,
  };
  for (const name of EVENT_NAMES) {
    api[`on${name[0]!.toUpperCase()}${name.slice(1)}`] = (fn: Handler) => w.events.on(name, fn);
  }
  // `ready` fires as the widget mounts, before a page's own script can register: a late
  // registration still hears it (once, on its own task).
  api.onReady = (fn: Handler) => {
    w.events.on('ready', fn);
    if (w.readyData !== undefined) setTimeout(() => fn(w.readyData));
  };
  return api;
}

/** Settings injected by `/widget/<id>.js`, else fetched for the `data-widget-id` of this script. */
async function loadSettings(script: HTMLScriptElement | null): Promise<Settings | undefined> {
  if (window.__switchboardWidget) return window.__switchboardWidget;
  const id = script?.dataset.widgetId;
  if (!script || !id) return undefined;
  const base = new URL(script.src, location.href).origin;
  const res = await fetch(`${base}/widget/${encodeURIComponent(id)}/config`);
  // 403 outside the allowed domains, 404 unknown: no launcher, and a word for the site's developer.
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    console.warn(`Switchboard widget ${id}: ${res.status} ${body.error ?? ''}`.trim());
    return undefined;
  }
  return { ...((await res.json()) as Omit<Settings, 'base'>), base };
}

const script = document.currentScript as HTMLScriptElement | null;
const start = async () => {
  const settings = await loadSettings(script);
  if (!settings || window.PolyphoneAPI) return;
  // the visitor, as the host page's server signed it (Aurion's email_token), when the page names one
  const token = script?.dataset.emailToken;
  const identity = token ? { email_token: token, display_name: script?.dataset.displayName || 'Visitor' } : undefined;
  const widget = new VisitorWidget(settings, identity);
  window.PolyphoneAPI = polyphoneApi(widget);
  widget.mount();
};
const boot = () => void start().catch(() => undefined);
if (document.body) boot();
else document.addEventListener('DOMContentLoaded', boot, { once: true });
