/**
 * The launcher and its panel, in an open shadow root so the host page's styles neither leak in
 * nor get broken. The host element carries `data-state`, which tests and host pages can read.
 */
export type WidgetState = 'idle' | 'consent' | 'connecting' | 'in-call' | 'ended' | 'error' | 'blocked';

export interface LauncherSettings {
  greeting: string;
  primary_color: string;
  position: string;
  consent_text: string | null;
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

  constructor(
    private readonly settings: LauncherSettings,
    actions: LauncherActions,
  ) {
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
      button[hidden] { display: none; }`;
    const launcher = document.createElement('button');
    launcher.className = 'launcher';
    launcher.type = 'button';
    launcher.setAttribute('aria-label', 'Call us');
    launcher.textContent = '☎';
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
    this.panel.append(title, this.status, row, this.remoteAudio);
    launcher.addEventListener('click', () => {
      this.panel.hidden = !this.panel.hidden;
    });
    this.root.append(style, launcher, this.panel);
    this.show('idle');
  }

  open(): void {
    this.panel.hidden = false;
  }

  show(state: WidgetState, detail?: string): void {
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
    if (state !== 'idle') this.open();
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
