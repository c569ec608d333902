/**
 * The launcher and its panel, in an open shadow root so the host page's styles neither leak in
 * nor get broken. The host element carries `data-state` (the call's) and `data-mode` (the pane
 * shown), which tests and host pages can read. A widget with both modes shows a Call / Chat switch;
 * the chat pane is ChatView's.
 */
import { CHAT_CSS, type ChatView } from './chat-view.js';

export type WidgetMode = 'voice' | 'chat';

export type WidgetState = 'idle' | 'consent' | 'connecting' | 'in-call' | 'ended' | 'error' | 'blocked';

export interface LauncherSettings {
  greeting: string;
  primary_color: string;
  position: string;
  consent_text: string | null;
  modes: string[];
}

export interface LauncherActions {
  call(): void;
  agree(): void;
  end(): void;
  toggleMute(): void;
}

const STATUS: Record<WidgetState, string> = {
  idle: 'Talk to us from your browser.',
  consent: '',
  connecting: 'Connecting…',
  'in-call': 'In call',
  ended: 'Call ended.',
  error: 'The call could not be made.',
  blocked: 'A call is already active in another tab. End it there to call from here.',
};

export class Launcher {
  readonly host: HTMLDivElement;
  readonly remoteAudio: HTMLAudioElement;
  private readonly root: ShadowRoot;
  private readonly panel: HTMLDivElement;
  private readonly status: HTMLParagraphElement;
  private readonly buttons: Record<'call' | 'agree' | 'mute' | 'end', HTMLButtonElement>;
  private readonly voicePane: HTMLDivElement;
  private readonly tabs = new Map<WidgetMode, HTMLButtonElement>();
  /** The modes this widget offers, in its configured order (the first is shown first). */
  readonly modes: WidgetMode[];
  private onMode: ((m: WidgetMode) => void) | undefined;

  constructor(
    private readonly settings: LauncherSettings,
    actions: LauncherActions,
    private readonly chat?: ChatView,
  ) {
    // chat only with a chat pane; a widget configured with neither still shows its (explaining) voice pane
    const offered = (settings.modes ?? ['voice']).filter((m): m is WidgetMode => m === 'voice' || (m === 'chat' && !!chat));
    this.modes = offered.length ? offered : ['voice'];
    this.host = document.createElement('div');
    this.host.id = 'switchboard-visitor';
    this.root = this.host.attachShadow({ mode: 'open' });
    const side = settings.position === 'bottom-left' ? 'left' : 'right';
    const style = document.createElement('style');
    style.textContent = `
      :host { all: initial; }
      .launcher { position: fixed; bottom: 20px; ${side}: 20px; width: 60px; height: 60px; border-radius: 50%;
        border: 0; background: ${settings.primary_color}; color: #fff; font: 600 24px system-ui, sans-serif;
        box-shadow: 0 4px 14px rgba(0,0,0,.3); cursor: pointer; z-index: 2147483646; }
      .panel { position: fixed; bottom: 92px; ${side}: 20px; width: 280px; padding: 16px; border-radius: 12px;
        background: #fff; color: #111; font: 14px system-ui, sans-serif; box-shadow: 0 8px 30px rgba(0,0,0,.25);
        border-top: 6px solid ${settings.primary_color}; z-index: 2147483647; }
      .panel[hidden] { display: none; }
      h2 { font-size: 16px; margin: 0 0 8px; }
      p { margin: 0 0 12px; }
      .row { display: flex; gap: 8px; }
      button.action { flex: 1; padding: 10px; border-radius: 8px; border: 0; cursor: pointer; font: 600 14px system-ui, sans-serif;
        background: ${settings.primary_color}; color: #fff; }
      button.end { background: #d92d20; }
      button.secondary { background: #e4e4e7; color: #111; }
      button[hidden] { display: none; }
      .tabs { display: flex; gap: 4px; margin: 0 0 10px; }
      .tabs[hidden] { display: none; }
      button.tab { flex: 1; padding: 6px; border: 0; border-radius: 6px; cursor: pointer; font: 600 13px system-ui, sans-serif;
        background: #e4e4e7; color: #111; }
      button.tab[aria-selected="true"] { background: ${settings.primary_color}; color: #fff; }
      .voice[hidden] { display: none; }
      ${CHAT_CSS(settings.primary_color)}`;
    const launcher = document.createElement('button');
    launcher.className = 'launcher';
    launcher.type = 'button';
    const chatOnly = this.modes.length === 1 && this.modes[0] === 'chat';
    launcher.setAttribute('aria-label', chatOnly ? 'Chat with us' : 'Call us');
    if (chatOnly) {
      // a speech bubble, drawn (an emoji font is not on every system)
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('viewBox', '0 0 24 24');
      svg.setAttribute('width', '28');
      svg.setAttribute('height', '28');
      const bubble = document.createElementNS('http://www.w3.org/2000/svg', 'path');
      bubble.setAttribute('d', 'M4 5h16v11H9l-5 4z');
      bubble.setAttribute('fill', 'currentColor');
      svg.append(bubble);
      launcher.append(svg);
    } else launcher.textContent = '☎';
    this.panel = document.createElement('div');
    this.panel.className = 'panel';
    this.panel.hidden = true;
    this.panel.setAttribute('role', 'dialog');
    const title = document.createElement('h2');
    title.textContent = settings.greeting;
    this.status = document.createElement('p');
    this.status.className = 'status';
    const row = document.createElement('div');
    row.className = 'row';
    const button = (name: string, label: string, cls: string, fn: () => void) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `action ${cls}`;
      b.dataset.action = name;
      b.textContent = label;
      b.addEventListener('click', fn);
      row.append(b);
      return b;
    };
    this.buttons = {
      call: button('call', 'Call', '', () => actions.call()),
      agree: button('agree', 'Agree and call', '', () => actions.agree()),
      mute: button('mute', 'Mute', 'secondary', () => actions.toggleMute()),
      end: button('end', 'End call', 'end', () => actions.end()),
    };
    this.remoteAudio = document.createElement('audio');
    this.remoteAudio.autoplay = true;
    this.voicePane = document.createElement('div');
    this.voicePane.className = 'voice';
    this.voicePane.append(this.status, row, this.remoteAudio);
    const tabs = document.createElement('div');
    tabs.className = 'tabs';
    tabs.setAttribute('role', 'tablist');
    tabs.hidden = this.modes.length < 2;
    for (const mode of this.modes) {
      const tab = document.createElement('button');
      tab.type = 'button';
      tab.className = 'tab';
      tab.dataset.mode = mode;
      tab.setAttribute('role', 'tab');
      tab.textContent = mode === 'voice' ? 'Call' : 'Chat';
      tab.addEventListener('click', () => this.showMode(mode));
      tabs.append(tab);
      this.tabs.set(mode, tab);
    }
    this.panel.append(title, tabs, this.voicePane, ...(chat ? [chat.element] : []));
    launcher.addEventListener('click', () => {
      this.panel.hidden = !this.panel.hidden;
      if (!this.panel.hidden) this.onMode?.(this.mode);
    });
    this.root.append(style, launcher, this.panel);
    this.showMode(this.modes[0]!, false);
    this.show('idle');
  }

  /** The pane shown (or shown when the panel opens). */
  get mode(): WidgetMode {
    return (this.host.dataset.mode as WidgetMode | undefined) ?? this.modes[0]!;
  }

  /** Called when a pane is shown in an open panel (the chat connects then). */
  onModeShown(fn: (m: WidgetMode) => void): void {
    this.onMode = fn;
  }

  showMode(mode: WidgetMode, notify = true): void {
    if (!this.modes.includes(mode)) return;
    this.host.dataset.mode = mode;
    this.voicePane.hidden = mode !== 'voice';
    if (this.chat) this.chat.element.hidden = mode !== 'chat';
    for (const [m, tab] of this.tabs) tab.setAttribute('aria-selected', String(m === mode));
    if (notify && !this.panel.hidden) this.onMode?.(mode);
  }

  open(mode?: WidgetMode): void {
    this.panel.hidden = false;
    if (mode) this.showMode(mode);
    else this.onMode?.(this.mode);
  }

  /** `quiet`: the state is shown in the call pane without opening the panel. */
  show(state: WidgetState, detail?: string, quiet = false): void {
    this.host.dataset.state = state;
    this.status.textContent =
      state === 'consent'
        ? (this.settings.consent_text ?? 'This call may be recorded. Do you agree?')
        : (detail ?? STATUS[state]);
    const b = this.buttons;
    // blocked: the other tab may have hung up since; the visitor can try again from here
    b.call.hidden = !['idle', 'ended', 'error', 'blocked'].includes(state);
    b.call.textContent = state === 'idle' ? 'Call' : state === 'blocked' ? 'Try again' : 'Call again';
    b.agree.hidden = state !== 'consent';
    b.mute.hidden = state !== 'in-call';
    b.end.hidden = state !== 'connecting' && state !== 'in-call';
    if (state !== 'idle' && !quiet && this.modes.includes('voice')) this.open('voice');
  }

  setMuted(muted: boolean): void {
    this.buttons.mute.textContent = muted ? 'Unmute' : 'Mute';
  }

  mount(): void {
    document.body.append(this.host);
  }

  remove(): void {
    this.host.remove();
  }
}
