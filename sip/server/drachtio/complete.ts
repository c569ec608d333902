/**
 * Turning the bare messages srf sends into full SIP (docs/drachtio-protocol.md §5.2-5.4): canonical header names,
 * the fixed order the real server emits (known headers first, extension headers after
 * Content-Length), default Content-Type for SDP, `localhost` replaced by our address.
 */
import { normalizeHeaderName, type SipHeader, type SipMessage } from '../message.js';

const CANONICAL: Record<string, string> = {
  via: 'Via',
  route: 'Route',
  'record-route': 'Record-Route',
  'max-forwards': 'Max-Forwards',
  from: 'From',
  to: 'To',
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  contact: 'Contact',
  accept: 'Accept',
  'accept-encoding': 'Accept-Encoding',
  'accept-language': 'Accept-Language',
  'alert-info': 'Alert-Info',
  allow: 'Allow',
  'allow-events': 'Allow-Events',
  'authentication-info': 'Authentication-Info',
  authorization: 'Authorization',
  'call-info': 'Call-Info',
  'content-disposition': 'Content-Disposition',
  'content-encoding': 'Content-Encoding',
  'content-language': 'Content-Language',
  date: 'Date',
  'error-info': 'Error-Info',
  event: 'Event',
  expires: 'Expires',
  'in-reply-to': 'In-Reply-To',
  'min-expires': 'Min-Expires',
  'min-se': 'Min-SE',
  'mime-version': 'MIME-Version',
  organization: 'Organization',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
  priority: 'Priority',
  'proxy-authenticate': 'Proxy-Authenticate',
  'proxy-authorization': 'Proxy-Authorization',
  'proxy-require': 'Proxy-Require',
  rack: 'RAck',
  reason: 'Reason',
  'refer-to': 'Refer-To',
  'referred-by': 'Referred-By',
  'reply-to': 'Reply-To',
  require: 'Require',
  'retry-after': 'Retry-After',
  rseq: 'RSeq',
  server: 'Server',
  'session-expires': 'Session-Expires',
  subject: 'Subject',
  'subscription-state': 'Subscription-State',
  supported: 'Supported',
  timestamp: 'Timestamp',
  unsupported: 'Unsupported',
  'user-agent': 'User-Agent',
  warning: 'Warning',
  'www-authenticate': 'WWW-Authenticate',
  'content-type': 'Content-Type',
  'content-length': 'Content-Length',
};

const HEAD = ['via', 'route', 'record-route', 'max-forwards', 'from', 'to', 'call-id', 'cseq', 'contact'];
const TAIL = ['content-type', 'content-length'];

function rank(n: string): number {
  const h = HEAD.indexOf(n);
  if (h >= 0) return h;
  const t = TAIL.indexOf(n);
  if (t >= 0) return 1000 + t;
  if (CANONICAL[n]) return 100;
  return 2000;
}

const AUTH = new Set(['authorization', 'proxy-authorization', 'www-authenticate', 'proxy-authenticate']);

/** Digest credentials/challenges re-serialised with `, ` between parameters, as the real server does. */
export function reformatAuth(value: string): string {
  const m = /^(\S+)\s+([\s\S]*)$/.exec(value.trim());
  if (!m) return value;
  const params: string[] = [];
  let cur = '';
  let inQuote = false;
  for (const ch of m[2]!) {
    if (ch === '"') inQuote = !inQuote;
    if (ch === ',' && !inQuote) {
      params.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) params.push(cur.trim());
  return `${m[1]} ${params.join(', ')}`;
}

/** Canonical names and the fixed order; a stable sort keeps lines of one header in order. */
export function canonicalize(msg: SipMessage): void {
  const rows = msg.headers.map((h, i) => {
    const n = normalizeHeaderName(h.name);
    const value = AUTH.has(n) ? reformatAuth(h.value) : h.value;
    return { h: { name: CANONICAL[n] ?? h.name, value } as SipHeader, n, i, r: rank(n) };
  });
  rows.sort((a, b) => a.r - b.r || (a.r === 100 ? a.n.localeCompare(b.n) : 0) || a.i - b.i);
  msg.headers = rows.map((x) => x.h);
}

/** Content-Type for an untyped SDP body; Content-Length always present (the serializer fixes its value). */
export function addBodyHeaders(msg: SipMessage): void {
  if (msg.body.length > 0 && !msg.has('content-type') && /^v=0/.test(msg.body.subarray(0, 3).toString('latin1'))) {
    msg.append('Content-Type', 'application/sdp');
  }
  msg.set('Content-Length', String(msg.body.length));
}

/** `sip:alice@localhost` -> `sip:alice@127.0.0.1:5060` (srf's createB2BUA writes localhost). */
export function replaceLocalhost(value: string, hostport: string): string {
  return value.replace(/@localhost(:\d+)?(?=[>;]|$)/gi, '@' + hostport);
}

/** Add `;tag=` to a From/To value that has none. */
export function withTag(value: string, tag: string): string {
  return /;\s*tag=/i.test(value) ? value : `${value};tag=${tag}`;
}

export function tagOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  // tag param outside <...>
  const close = value.lastIndexOf('>');
  const m = /;\s*tag=([^;\s]+)/i.exec(close >= 0 ? value.slice(close) : value);
  return m?.[1];
}

/** The URI inside a name-addr or addr-spec header value. */
export function uriOf(value: string): string {
  const lt = value.indexOf('<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    return value.slice(lt + 1, gt < 0 ? undefined : gt).trim();
  }
  return value.split(';')[0]!.trim();
}

export function parseCSeqValue(v: string | undefined): { seq: number; method: string } {
  const [n, m] = (v ?? '').trim().split(/\s+/);
  return { seq: Number(n) || 0, method: (m ?? '').toUpperCase() };
}
