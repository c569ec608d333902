/**
 * The softphone's DOM: agent and state header, a notice line, the dial pad, the ringing panel
 * and the in-call controls. Built once; `render` shows the part that fits the state. Theme
 * overrides become CSS custom properties on the page (`--vo-primary`, `--vo-bg`, `--vo-ink`, `--vo-radius`).
 */
import type { AgentInfo, SoftphoneState, Theme } from './protocol.js';
import type { SipPhone } from './sip-phone.js';

const LABELS: Record<SoftphoneState, string> = {
  connecting: 'Connecting…',
  registered: 'Ready',
  calling: 'Calling…',
  ringing: 'Incoming call',
  'in-call': 'In call',
  'in-use-elsewhere': 'In use in another tab',
  'signed-out': 'Signed out',
  error: 'Error',
};
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text) e.textContent = text;
  return e;
}

export class SoftphoneView {
  private readonly name = el('span', 'sp-agent', 'Softphone');
  private readonly status = el('span', 'sp-state', LABELS.connecting);
  private readonly note = el('div', 'sp-notice');
  /** How the last call ended, shown until the next one starts. */
  private readonly last = el('div', 'sp-last');
  private readonly dialer = el('div', 'sp-dial');
  private readonly number = el('input', 'sp-number');
  private readonly callBtn = el('button', 'sp-btn sp-primary sp-call', 'Call');
  private readonly incoming = el('div', 'sp-incoming');
  private readonly caller = el('div', 'sp-peer');
  private readonly inCall = el('div', 'sp-incall');
  private readonly peer = el('div', 'sp-peer');
  private readonly muteBtn = el('button', 'sp-btn sp-mute', 'Mute');
  private phone: SipPhone | undefined;

  constructor(
    private readonly root: HTMLElement,
    theme: Theme,
  ) {
    const css = document.documentElement.style;
    if (theme.primary) css.setProperty('--vo-primary', theme.primary);
    if (theme.bg) css.setProperty('--vo-bg', theme.bg);
    if (theme.ink) css.setProperty('--vo-ink', theme.ink);
    if (theme.radius !== undefined) css.setProperty('--vo-radius', `${theme.radius}px`);
    const head = el('div', 'sp-head');
    head.append(this.name, this.status);
    this.number.placeholder = 'Number or agent';
    this.number.autocomplete = 'off';
    this.number.setAttribute('aria-label', 'Number or agent to call');
    const pad = el('div', 'sp-pad');
    for (const k of KEYS) {
      const b = el('button', 'sp-key', k);
      b.type = 'button';
      b.addEventListener('click', () => this.key(k));
      pad.appendChild(b);
    }
    this.dialer.append(this.number, pad, this.callBtn);
    const answer = el('button', 'sp-btn sp-primary sp-answer', 'Answer');
    const decline = el('button', 'sp-btn sp-danger sp-decline', 'Decline');
    const ringRow = el('div', 'sp-row');
    ringRow.append(answer, decline);
    this.incoming.append(el('div', 'sp-label', 'Incoming call'), this.caller, ringRow);
    const hang = el('button', 'sp-btn sp-danger sp-hangup', 'Hang up');
    const row = el('div', 'sp-row');
    row.append(this.muteBtn, hang);
    this.inCall.append(this.peer, row);
    this.root.append(head, this.note, this.last, this.dialer, this.incoming, this.inCall);
    this.callBtn.addEventListener('click', () => this.act((p) => p.dial(this.number.value)));
    this.number.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.act((p) => p.dial(this.number.value));
    });
    answer.addEventListener('click', () => this.act((p) => p.answer()));
    decline.addEventListener('click', () => this.act((p) => p.decline()));
    hang.addEventListener('click', () => this.act((p) => p.hangup()));
    this.muteBtn.addEventListener('click', () => this.act((p) => this.render(p, p.state, p.toggleMute())));
    this.render(undefined, 'connecting');
  }

  private onError: (message: string) => void = () => undefined;

  bind(phone: SipPhone, _agent: AgentInfo, onError: (message: string) => void): void {
    this.phone = phone;
    this.onError = onError;
  }

  agent(a: AgentInfo): void {
    this.name.textContent = a.label;
  }

  notice(message: string): void {
    this.note.textContent = message;
  }

  ended(cause: string, statusCode: number, peer: string): void {
    const why = cause.replace(/-/g, ' ');
    this.last.textContent = `Call with ${peer || 'unknown'} ended: ${why}${statusCode && statusCode !== 200 ? ` (${statusCode})` : ''}`;
  }

  render(phone: SipPhone | undefined, state: SoftphoneState, muted = phone?.muted ?? false): void {
    this.root.dataset.state = state;
    this.status.textContent = LABELS[state];
    this.status.dataset.state = state;
    if (state === 'in-use-elsewhere') this.notice('This softphone is in use in another tab. Close it to use this one.');
    else if (state === 'registered' || state === 'in-call') this.notice('');
    if (state === 'calling' || state === 'ringing') this.last.textContent = '';
    this.last.hidden = state !== 'registered' || !this.last.textContent;
    this.dialer.hidden = !(state === 'registered' || state === 'connecting' || state === 'calling');
    this.callBtn.disabled = state !== 'registered';
    this.number.disabled = state === 'in-use-elsewhere' || state === 'signed-out';
    this.incoming.hidden = state !== 'ringing';
    this.inCall.hidden = state !== 'in-call' && state !== 'calling';
    this.caller.textContent = this.peer.textContent = phone?.peer ?? '';
    this.muteBtn.textContent = muted ? 'Unmute' : 'Mute';
    this.muteBtn.classList.toggle('sp-on', muted);
    this.muteBtn.disabled = state !== 'in-call';
  }

  private key(k: string): void {
    // in a call the pad sends DTMF; otherwise it types the number
    if (this.phone?.state === 'in-call') this.act((p) => p.sendDtmf(k));
    else this.number.value += k;
  }

  private act(fn: (p: SipPhone) => unknown): void {
    const p = this.phone;
    if (!p) return;
    try {
      Promise.resolve(fn(p)).catch((e: Error) => this.onError(e.message));
    } catch (e) {
      this.onError((e as Error).message);
    }
  }
}
