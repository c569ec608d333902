/**
 * RFC 3261 §25 grammar for the pieces of SIP that other layers need as structures: URIs,
 * name-addr (From/To/Contact/Route), Via, CSeq and the digest auth params. Every parser throws
 * SipParseError on bad input and nothing else; all scanning is single-pass (linear time).
 */

import type { SipHeader } from './message.js';

export class SipParseError extends Error {
  /** Best-effort headers of a broken request (Via, From, To, Call-ID, CSeq) so a 400 can be sent; undefined for responses or hopeless input. */
  partial?: { method?: string; headers: SipHeader[] };
  /** Status a UAS should answer with (400 unless the problem deserves a more precise code, e.g. 505, 513). */
  statusCode = 400;
  constructor(message: string, partial?: { method?: string; headers: SipHeader[] }) {
    super(message);
    this.name = 'SipParseError';
    if (partial) this.partial = partial;
  }
}

export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  /** Raw (still %-escaped) user part; for tel: URIs the telephone number. */
  user?: string;
  password?: string;
  /** Host name, IPv4, or IPv6 kept in brackets; empty for tel: URIs. */
  host: string;
  port?: number;
  /** Parameter names lowercased; a flag parameter (`;lr`) has the value null. */
  params: Record<string, string | null>;
  headers: Record<string, string>;
}

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const HOST_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_\-.]*[A-Za-z0-9_])?\.?$/;
const IPV6_RE = /^\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]$/;
// Characters that can never appear unescaped in a URI component we accept.
const URI_FORBIDDEN_RE = /[\s<>"\\\x00-\x1f\x7f]/;

export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

export function isValidHost(host: string): boolean {
  if (host.startsWith('[')) return IPV6_RE.test(host) && host.includes(':');
  return host.length > 0 && host.length <= 255 && HOST_RE.test(host);
}

function parsePort(s: string, what: string): number {
  if (!/^\d{1,5}$/.test(s)) throw new SipParseError(`invalid port in ${what}`);
  const n = Number(s);
  if (n > 65535) throw new SipParseError(`port out of range in ${what}`);
  return n;
}

/** Split `host[:port]`, keeping IPv6 brackets. */
export function parseHostPort(s: string, what = 'host'): { host: string; port?: number } {
  let host: string;
  let portStr: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) throw new SipParseError(`unterminated IPv6 reference in ${what}`);
    host = s.slice(0, end + 1);
    const rest = s.slice(end + 1);
    if (rest.length > 0) {
      if (rest[0] !== ':') throw new SipParseError(`junk after IPv6 reference in ${what}`);
      portStr = rest.slice(1);
    }
  } else {
    const colon = s.indexOf(':');
    if (colon >= 0) {
      host = s.slice(0, colon);
      portStr = s.slice(colon + 1);
    } else host = s;
  }
  if (!isValidHost(host)) throw new SipParseError(`invalid host in ${what}`);
  return portStr === undefined ? { host } : { host, port: parsePort(portStr, what) };
}

/** Split `;a=b;c` style parameters (quote-aware) into a record with lowercased names. */
function parseParams(s: string, what: string, allowQuoted: boolean): Record<string, string | null> {
  const params: Record<string, string | null> = {};
  if (s.length === 0) return params;
  if (s[0] !== ';') throw new SipParseError(`junk before parameters in ${what}`);
  for (const part of splitOutsideQuotes(s.slice(1), ';', what)) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!isToken(name)) throw new SipParseError(`invalid parameter name in ${what}`);
    let value: string | null = null;
    if (eq >= 0) {
      value = part.slice(eq + 1).trim();
      if (value.startsWith('"')) {
        if (!allowQuoted || !isQuotedString(value)) throw new SipParseError(`invalid quoted parameter in ${what}`);
      } else if (value.length === 0 || /[\s",]/.test(value)) throw new SipParseError(`invalid parameter value in ${what}`);
    }
    params[name.toLowerCase()] = value;
  }
  return params;
}

function isQuotedString(v: string): boolean {
  if (v.length < 2 || v[0] !== '"' || v[v.length - 1] !== '"') return false;
  for (let i = 1; i < v.length - 1; i++) {
    if (v[i] === '\\') {
      i++;
      if (i >= v.length - 1) return false;
    } else if (v[i] === '"') return false;
  }
  return true;
}

/** Split on a separator outside double quotes; throws on an unterminated quote. */
export function splitOutsideQuotes(s: string, sep: string, what: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === sep) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (inQuote) throw new SipParseError(`unterminated quoted string in ${what}`);
  out.push(s.slice(start));
  return out;
}

function formatParams(params: Record<string, string | null>): string {
  let out = '';
  for (const [k, v] of Object.entries(params)) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

export function parseUri(s: string): SipUri {
  const colon = s.indexOf(':');
  if (colon < 0) throw new SipParseError('URI without scheme');
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel')
    throw new SipParseError(`unsupported URI scheme "${s.slice(0, colon).slice(0, 20)}"`);
  const rest = s.slice(colon + 1);
  if (rest.length === 0 || URI_FORBIDDEN_RE.test(rest)) throw new SipParseError('invalid characters in URI');
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    const number = semi < 0 ? rest : rest.slice(0, semi);
    if (!/^\+?[0-9A-Fa-f*#.()\-]+$/.test(number) || !/[0-9A-Fa-f*#]/.test(number))
      throw new SipParseError('invalid telephone number in tel URI');
    return {
      scheme,
      user: number,
      host: '',
      params: parseParams(semi < 0 ? '' : rest.slice(semi), 'tel URI', false),
      headers: {},
    };
  }
  const firstAt = rest.indexOf('@');
  if (firstAt >= 0 && rest.indexOf('@', firstAt + 1) >= 0) throw new SipParseError('more than one "@" in URI');
  let user: string | undefined;
  let password: string | undefined;
  let hostPart = rest;
  if (firstAt >= 0) {
    const userinfo = rest.slice(0, firstAt);
    hostPart = rest.slice(firstAt + 1);
    const pc = userinfo.indexOf(':');
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (pc >= 0) password = userinfo.slice(pc + 1);
    if (user.length === 0) throw new SipParseError('empty user part in URI');
    if (/%(?![0-9A-Fa-f]{2})/.test(userinfo)) throw new SipParseError('bad escape in URI user part');
  }
  let headersPart = '';
  const q = hostPart.indexOf('?');
  if (q >= 0) {
    headersPart = hostPart.slice(q + 1);
    hostPart = hostPart.slice(0, q);
  }
  const semi = hostPart.indexOf(';');
  const hp = semi < 0 ? hostPart : hostPart.slice(0, semi);
  const { host, port } = parseHostPort(hp, 'URI');
  const params = parseParams(semi < 0 ? '' : hostPart.slice(semi), 'URI', false);
  const headers: Record<string, string> = {};
  if (q >= 0) {
    for (const h of headersPart.split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw new SipParseError('invalid URI header');
      headers[h.slice(0, eq)] = h.slice(eq + 1);
    }
  }
  const uri: SipUri = { scheme, host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

export function formatUri(u: SipUri): string {
  if (u.scheme === 'tel') return `tel:${u.user ?? u.host}${formatParams(u.params)}`;
  let out = `${u.scheme}:`;
  if (u.user !== undefined) out += u.password !== undefined ? `${u.user}:${u.password}@` : `${u.user}@`;
  out += u.host;
  if (u.port !== undefined) out += `:${u.port}`;
  out += formatParams(u.params);
  const hs = Object.entries(u.headers);
  if (hs.length > 0) out += '?' + hs.map(([k, v]) => `${k}=${v}`).join('&');
  return out;
}

export interface NameAddr {
  displayName?: string;
  uri: string;
  params: Record<string, string | null>;
}

/** Checks a URI found in a name-addr: sip/sips/tel must parse, any other scheme just needs scheme syntax. */
function checkAnyUri(uri: string): void {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (!m) throw new SipParseError('URI without scheme');
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') parseUri(uri);
  else if (uri.length === m[0].length || URI_FORBIDDEN_RE.test(uri)) throw new SipParseError('invalid URI');
}

function unquote(q: string): string {
  let out = '';
  for (let i = 1; i < q.length - 1; i++) {
    if (q[i] === '\\') i++;
    out += q[i];
  }
  return out;
}

export function parseNameAddr(s: string): NameAddr {
  const str = s.trim();
  if (str.length === 0) throw new SipParseError('empty address');
  let displayName: string | undefined;
  let uri: string;
  let rest: string;
  let i = 0;
  if (str[0] === '"') {
    i = 1;
    while (i < str.length && str[i] !== '"') i += str[i] === '\\' ? 2 : 1;
    if (i >= str.length) throw new SipParseError('unterminated display name');
    displayName = unquote(str.slice(0, i + 1));
    i++;
    while (str[i] === ' ' || str[i] === '\t') i++;
    if (str[i] !== '<') throw new SipParseError('display name without <URI>');
  }
  const lt = str.indexOf('<', i);
  if (lt >= 0) {
    if (displayName === undefined) {
      const dn = str.slice(0, lt).trim();
      if (dn.length > 0) {
        // RFC 3261 wants tokens here, but phones send "John (Work) <sip:..>": accept anything but
        // quotes, angle brackets and control characters
        // a comma is no token character and makes "Bell, Alexander <sip:..>" ambiguous (RFC 4475 §3.1.2.15)
        if (/["<>,\x00-\x08\x0a-\x1f\x7f]/.test(dn)) throw new SipParseError('invalid display name');
        displayName = dn.replace(/[ \t]+/g, ' ');
      }
    }
    const gt = str.indexOf('>', lt);
    if (gt < 0) throw new SipParseError('missing ">" in address');
    uri = str.slice(lt + 1, gt);
    // LAQUOT/RAQUOT admit no whitespace inside the brackets (RFC 4475 §3.1.2.14)
    if (uri !== uri.trim()) throw new SipParseError('whitespace inside <URI>');
    rest = str.slice(gt + 1).trim();
  } else {
    // addr-spec form: parameters after the URI belong to the header (RFC 3261 §20.10)
    const semi = str.indexOf(';');
    uri = (semi < 0 ? str : str.slice(0, semi)).trimEnd(); // SEMI = SWS ";" SWS
    rest = semi < 0 ? '' : str.slice(semi);
    if (/[?,]/.test(uri)) throw new SipParseError('addr-spec with "?" or "," must be in <>');
  }
  checkAnyUri(uri);
  const out: NameAddr = { uri, params: parseParams(rest, 'address', true) };
  if (displayName !== undefined) out.displayName = displayName;
  return out;
}

export function formatNameAddr(n: NameAddr): string {
  const dn =
    n.displayName !== undefined && n.displayName.length > 0 ? `"${n.displayName.replace(/["\\]/g, (c) => '\\' + c)}" ` : '';
  return `${dn}<${n.uri}>${formatParams(n.params)}`;
}

/** The tag parameter of a From/To value; tolerant, never throws. */
export function getTag(headerValue: string): string | undefined {
  try {
    const t = parseNameAddr(headerValue).params['tag'];
    return t === null ? undefined : t;
  } catch {
    const gt = headerValue.lastIndexOf('>');
    const m = /;\s*tag\s*=\s*([^;\s,>]+)/i.exec(gt >= 0 ? headerValue.slice(gt) : headerValue);
    return m ? m[1] : undefined;
  }
}

export interface Via {
  protocol: string;
  transport: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
}

export function parseVia(s: string): Via {
  const m = /^\s*([A-Za-z0-9\-.!%*_+`'~]+)\s*\/\s*([0-9A-Za-z.]+)\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+([^;\s]+)\s*(.*)$/s.exec(s);
  if (!m) throw new SipParseError('malformed Via');
  const protocol = `${m[1]!.toUpperCase()}/${m[2]}`;
  if (protocol !== 'SIP/2.0') throw new SipParseError('unsupported Via protocol');
  const { host, port } = parseHostPort(m[4]!, 'Via');
  const rest = m[5]!.trim();
  if (rest.includes(',') && splitOutsideQuotes(rest, ',', 'Via').length > 1)
    throw new SipParseError('several Via values; split them first');
  const params = parseParams(rest, 'Via', true);
  const via: Via = { protocol, transport: m[3]!.toUpperCase(), host, params };
  if (port !== undefined) via.port = port;
  return via;
}

export function formatVia(v: Via): string {
  return `${v.protocol}/${v.transport} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

export function parseCSeq(s: string): { seq: number; method: string } {
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(s);
  if (!m) throw new SipParseError('malformed CSeq');
  const seq = Number(m[1]);
  if (seq > 0xffffffff) throw new SipParseError('CSeq number out of range'); // 32-bit unsigned (RFC 3261 §8.1.1.5)
  return { seq, method: m[2]! };
}

/** `Digest realm="a", nonce="b", qop="auth,auth-int", algorithm=SHA-256`; names lowercased, values unquoted. */
export function parseAuthHeader(s: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*([A-Za-z0-9\-.!%*_+`'~]+)(?:\s+(.*))?$/s.exec(s);
  if (!m) throw new SipParseError('malformed authentication header');
  const params: Record<string, string> = {};
  const body = (m[2] ?? '').trim();
  if (body.length > 0) {
    for (const part of splitOutsideQuotes(body, ',', 'authentication header')) {
      const p = part.trim();
      if (p.length === 0) continue;
      const eq = p.indexOf('=');
      if (eq <= 0) throw new SipParseError('authentication parameter without value');
      const name = p.slice(0, eq).trim();
      if (!isToken(name)) throw new SipParseError('invalid authentication parameter name');
      const raw = p.slice(eq + 1).trim();
      if (raw.startsWith('"')) {
        if (!isQuotedString(raw)) throw new SipParseError('invalid quoted authentication parameter');
        params[name.toLowerCase()] = unquote(raw);
      } else {
        if (raw.length === 0 || /[\s"]/.test(raw)) throw new SipParseError('invalid authentication parameter value');
        params[name.toLowerCase()] = raw;
      }
    }
  }
  return { scheme: m[1]!, params };
}

/** Params quoted by default: all but the RFC 7616 token-valued ones (qop is a token only in credentials). */
export function formatAuthHeader(scheme: string, params: Record<string, string>, quoted?: string[]): string {
  const isCredentials = 'response' in params;
  const shouldQuote = (k: string): boolean => {
    if (quoted) return quoted.includes(k);
    const lk = k.toLowerCase();
    if (lk === 'algorithm' || lk === 'stale' || lk === 'nc') return false;
    if (lk === 'qop') return !isCredentials;
    return true;
  };
  const parts = Object.entries(params).map(([k, v]) =>
    shouldQuote(k) ? `${k}="${v.replace(/["\\]/g, (c) => '\\' + c)}"` : `${k}=${v}`,
  );
  return `${scheme} ${parts.join(', ')}`;
}
