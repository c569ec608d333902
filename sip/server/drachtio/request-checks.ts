/**
 * The UAS checks of RFC 3261 §8.2 that the server answers itself before a request reaches an app,
 * as the C++ drachtio-server's stack does: an unknown method (501 with Allow), a Request-URI scheme
 * we cannot serve (416), a Require option nobody here implements (420 with Unsupported), and a
 * session body of a type nobody here understands (415 with Accept). ACK and CANCEL are never
 * refused here: an ACK gets no response at all, and a CANCEL is matched to its INVITE.
 */
import type { SipRequest } from '../message.js';

/** Methods the drachtio layer and srf applications know (an app may still route others). */
export const KNOWN_METHODS = [
  'INVITE',
  'ACK',
  'CANCEL',
  'BYE',
  'OPTIONS',
  'REGISTER',
  'INFO',
  'UPDATE',
  'MESSAGE',
  'NOTIFY',
  'SUBSCRIBE',
  'REFER',
  'PRACK',
  'PUBLISH',
] as const;
const KNOWN = new Set<string>(KNOWN_METHODS);

/** Option tags the server or srf applications implement (RFC 3262, 4028, 3891, 3327, 5626, 4488). */
export const SUPPORTED_OPTIONS = ['100rel', 'timer', 'replaces', 'path', 'outbound', 'norefersub'] as const;
const SUPPORTED = new Set<string>(SUPPORTED_OPTIONS);

/** Methods whose body is a session description the media layer must understand. */
const SESSION_METHODS = new Set(['INVITE', 'UPDATE', 'PRACK']);
const SESSION_TYPES = ['application/sdp', 'multipart/mixed', 'multipart/alternative'];
const ENCODINGS = new Set(['identity']);

export interface Refusal {
  status: number;
  reason: string;
  headers: [string, string][];
}

/** Which methods connected apps route: asked per request, listed only for a 501's Allow. */
export interface RoutedMethods {
  routes(method: string): boolean;
  routedMethods(): Set<string>;
}

/**
 * The refusal a request deserves, or undefined when it may go on to the app. An unknown method
 * an app routes is passed on.
 */
export function checkRequest(req: SipRequest, apps: RoutedMethods): Refusal | undefined {
  const method = req.method.toUpperCase();
  if (method === 'ACK' || method === 'CANCEL') return undefined;
  if (!KNOWN.has(method) && !apps.routes(method)) {
    const routed = apps.routedMethods();
    const allow = [...new Set([...KNOWN_METHODS.filter((m) => m === 'ACK' || m === 'CANCEL' || routed.has(m)), ...routed])];
    return { status: 501, reason: 'Not Implemented', headers: [['Allow', allow.join(', ')]] };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(req.uri)?.[1]?.toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
    return { status: 416, reason: 'Unsupported URI Scheme', headers: [] };
  }
  const unsupported = req
    .getAll('require')
    .map((o) => o.trim())
    .filter((o) => o.length > 0 && !SUPPORTED.has(o.toLowerCase()));
  if (unsupported.length > 0) {
    return { status: 420, reason: 'Bad Extension', headers: [['Unsupported', unsupported.join(', ')]] };
  }
  if (SESSION_METHODS.has(method) && req.body.length > 0) {
    const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const encodings = req
      .getAll('content-encoding')
      .map((e) => e.trim().toLowerCase())
      .filter((e) => !ENCODINGS.has(e));
    if (!SESSION_TYPES.includes(type) || encodings.length > 0) {
      const headers: [string, string][] = [['Accept', SESSION_TYPES.join(', ')]];
      if (encodings.length > 0) headers.push(['Accept-Encoding', 'identity']);
      return { status: 415, reason: 'Unsupported Media Type', headers };
    }
  }
  return undefined;
}
