/**
 * What crosses the iframe boundary between the host page's loader (phone.js) and the softphone
 * page, both ways by postMessage. Every message carries `voylo: 1`; each side checks the other's
 * origin and window before reading it.
 */
export type SoftphoneState =
  | 'connecting'
  | 'registered'
  | 'calling'
  | 'ringing'
  | 'in-call'
  | 'in-use-elsewhere'
  | 'signed-out'
  | 'error';

export interface AgentInfo {
  id: number;
  username: string;
  label: string;
}

export interface SoftphoneEvents {
  ready: { agent: AgentInfo };
  state: { state: SoftphoneState };
  'call:ringing': { fromUri: string; displayName: string };
  'call:answered': Record<string, never>;
  'call:ended': { cause: string; statusCode: number };
  error: { message: string };
}
export type SoftphoneEventName = keyof SoftphoneEvents;

export type SoftphoneCommand =
  | { cmd: 'dial'; target: string }
  | { cmd: 'hangup' }
  | { cmd: 'answer' }
  | { cmd: 'decline' }
  | { cmd: 'toggleMute' }
  | { cmd: 'dtmf'; digits: string };

export type ToHost = { voylo: 1; event: SoftphoneEventName; data: SoftphoneEvents[SoftphoneEventName] };
export type ToSoftphone = { voylo: 1 } & SoftphoneCommand;

export interface Theme {
  primary?: string;
  bg?: string;
  ink?: string;
  radius?: string | number;
}

/** Colours a CSS custom property may take from a URL: hex, rgb()/hsl() with plain numbers, or a keyword. */
const COLOR = /^(#[0-9a-f]{3,8}|(rgb|rgba|hsl|hsla)\(\s*[0-9.%,\s/]+\)|[a-z]{3,20})$/i;

/** The theme with anything that is not a plain colour or a pixel radius dropped. */
export function safeTheme(t: Theme): Theme {
  const out: Theme = {};
  for (const k of ['primary', 'bg', 'ink'] as const) {
    const v = t[k];
    if (typeof v === 'string' && COLOR.test(v.trim())) out[k] = v.trim();
  }
  const r = Number(t.radius);
  if (t.radius !== undefined && Number.isFinite(r) && r >= 0 && r <= 64) out.radius = r;
  return out;
}
