/**
 * `/v1/phone.js`, the host-page loader: `Voylo.init({sessionToken, mode, target, theme})` mounts
 * the softphone iframe (served from our origin, so the host page's CSS, JS and cookies stay apart
 * from ours) as a floating launcher or inside `target`, relays `Voylo.*` calls to it and its
 * events back to `Voylo.on` handlers. Messages are accepted only from our iframe at our origin and
 * sent only to our origin.
 */
import { safeTheme, type SoftphoneCommand, type SoftphoneEventName, type Theme, type ToHost } from './protocol.js';

interface InitOptions {
  sessionToken: string;
  mode?: 'floating' | 'inline';
  target?: string | HTMLElement;
  theme?: Theme;
}
type Handler = (data: unknown) => void;

// The origin that served this script is the softphone's origin.
const script = document.currentScript as HTMLScriptElement | null;
const ORIGIN = new URL(script?.src ?? location.href).origin;
const CSS_ID = 'voylo-phone-style';

function injectStyle(): void {
  if (document.getElementById(CSS_ID)) return;
  const style = document.createElement('style');
  style.id = CSS_ID;
  style.textContent = `
.voylo-launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;
  background:var(--voylo-primary,#5b6cb8);color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;font:24px/1 system-ui}
.voylo-panel{position:fixed;right:20px;bottom:88px;width:320px;height:480px;z-index:2147483000;box-shadow:0 8px 30px rgba(0,0,0,.25);
  border-radius:var(--voylo-radius,12px);overflow:hidden;background:#fff}
.voylo-panel.voylo-hidden{visibility:hidden;pointer-events:none}
.voylo-inline{width:100%;height:100%;min-height:420px}
.voylo-frame{width:100%;height:100%;border:0;display:block}`;
  document.head.appendChild(style);
}

class VoyloWidget {
  private iframe: HTMLIFrameElement | undefined;
  private panel: HTMLElement | undefined;
  private launcher: HTMLButtonElement | undefined;
  private mode: 'floating' | 'inline' = 'floating';
  private readonly handlers = new Map<string, Set<Handler>>();
  /** Commands sent before the softphone said hello wait here (the frame is still about:blank). */
  private queue: SoftphoneCommand[] = [];
  private loaded = false;
  private readonly onMessage = (e: MessageEvent): void => this.receive(e);

  init(opts: InitOptions): void {
    if (this.iframe) this.destroy();
    if (!opts || typeof opts.sessionToken !== 'string') throw new Error('Voylo.init: sessionToken is required');
    this.mode = opts.mode === 'inline' ? 'inline' : 'floating';
    const theme = safeTheme(opts.theme ?? {});
    injectStyle();
    const src = new URL('/agent-widget/embed', ORIGIN);
    src.searchParams.set('token', opts.sessionToken);
    src.searchParams.set('host', location.origin);
    src.searchParams.set('mode', this.mode);
    for (const [k, v] of Object.entries(theme)) src.searchParams.set(k, String(v));
    const iframe = document.createElement('iframe');
    iframe.className = 'voylo-frame';
    iframe.title = 'Softphone';
    iframe.allow = 'microphone; autoplay';
    iframe.src = src.toString();
    this.iframe = iframe;
    window.addEventListener('message', this.onMessage);
    if (this.mode === 'inline') {
      const target = typeof opts.target === 'string' ? document.querySelector<HTMLElement>(opts.target) : opts.target;
      if (!target) throw new Error('Voylo.init: inline mode needs an existing target');
      const wrap = document.createElement('div');
      wrap.className = 'voylo-inline';
      wrap.appendChild(iframe);
      target.appendChild(wrap);
      this.panel = wrap;
      return;
    }
    const panel = document.createElement('div');
    panel.className = 'voylo-panel voylo-hidden';
    if (theme.radius !== undefined) panel.style.setProperty('--voylo-radius', `${theme.radius}px`);
    panel.appendChild(iframe);
    const launcher = document.createElement('button');
    launcher.type = 'button';
    launcher.className = 'voylo-launcher';
    launcher.setAttribute('aria-label', 'Open the softphone');
    launcher.textContent = '\u260E';
    if (theme.primary) launcher.style.setProperty('--voylo-primary', theme.primary);
    launcher.addEventListener('click', () => this.toggle());
    document.body.append(panel, launcher);
    this.panel = panel;
    this.launcher = launcher;
  }

  dial(target: string): void {
    this.send({ cmd: 'dial', target: String(target) });
  }
  hangup(): void {
    this.send({ cmd: 'hangup' });
  }
  answer(): void {
    this.send({ cmd: 'answer' });
  }
  decline(): void {
    this.send({ cmd: 'decline' });
  }
  toggleMute(): void {
    this.send({ cmd: 'toggleMute' });
  }
  sendDtmf(digits: string): void {
    this.send({ cmd: 'dtmf', digits: String(digits) });
  }

  /** Floating mode: opens the panel. */
  show(): void {
    if (this.mode === 'floating') this.panel?.classList.remove('voylo-hidden');
  }
  hide(): void {
    if (this.mode === 'floating') this.panel?.classList.add('voylo-hidden');
  }

  destroy(): void {
    window.removeEventListener('message', this.onMessage);
    this.panel?.remove();
    this.launcher?.remove();
    this.iframe = this.panel = this.launcher = undefined;
    this.queue = [];
    this.loaded = false;
  }

  on(event: SoftphoneEventName, handler: Handler): void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler);
  }

  off(event: SoftphoneEventName, handler: Handler): void {
    this.handlers.get(event)?.delete(handler);
  }

  private toggle(): void {
    if (this.panel?.classList.contains('voylo-hidden')) this.show();
    else this.hide();
  }

  private send(c: SoftphoneCommand): void {
    if (!this.iframe) throw new Error('Voylo: call init() first');
    if (!this.loaded) {
      this.queue.push(c);
      return;
    }
    this.iframe.contentWindow?.postMessage({ voylo: 1, ...c }, ORIGIN);
  }

  private receive(e: MessageEvent): void {
    if (e.origin !== ORIGIN || !this.iframe || e.source !== this.iframe.contentWindow) return;
    const m = e.data as Omit<Partial<ToHost>, 'event'> & { event?: string };
    if (m?.voylo !== 1 || typeof m.event !== 'string') return;
    if (m.event === 'hello') {
      this.loaded = true;
      const queued = this.queue;
      this.queue = [];
      for (const c of queued) this.send(c);
      return;
    }
    // a ringing call opens the floating panel so the agent sees it
    if (m.event === 'call:ringing') this.show();
    for (const h of this.handlers.get(m.event) ?? []) {
      try {
        h(m.data);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
  }
}

declare global {
  interface Window {
    Voylo: VoyloWidget;
  }
}

window.Voylo = new VoyloWidget();
