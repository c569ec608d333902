/**
 * Small parsers for the address headers the application reads itself (Contact, From, To):
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1). The SIP server has
 * already validated framing; these only need to be total (never throw) on odd input.
 */
import { splitHeaderList } from './server/message.js';

export interface NameAddr {
  displayName?: string;
  uri: string;
  /** Header parameters (after the URI), keys lowercased; valueless params map to ''. */
  params: Record<string, string>;
}

function parseParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out[p.toLowerCase()] = '';
    else
      out[p.slice(0, eq).trim().toLowerCase()] = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** Parses one name-addr or addr-spec. Returns undefined when no URI can be found. */
export function parseNameAddr(value: string): NameAddr | undefined {
  const v = value.trim();
  if (!v) return undefined;
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) return undefined;
    let display = v.slice(0, lt).trim();
    if (display.startsWith('"') && display.endsWith('"') && display.length >= 2) {
      display = display.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    const uri = v.slice(lt + 1, gt).trim();
    if (!uri) return undefined;
    return { displayName: display || undefined, uri, params: parseParams(v.slice(gt + 1)) };
  }
  // addr-spec without brackets: everything after the first ';' is a header parameter (RFC 3261 §20).
  const semi = v.indexOf(';');
  const uri = (semi < 0 ? v : v.slice(0, semi)).trim();
  if (!uri || /\s/.test(uri)) return undefined;
  return { uri, params: semi < 0 ? {} : parseParams(v.slice(semi + 1)) };
}

/** Every entry of a Contact header value (comma-separated list); `*` is returned as the string '*'. */
export function parseContactList(value: string): NameAddr[] | '*' | undefined {
  if (value.trim() === '*') return '*';
  const out: NameAddr[] = [];
  for (const entry of splitHeaderList(value)) {
    const na = parseNameAddr(entry);
    if (!na) return undefined;
    out.push(na);
  }
  return out;
}

export interface SipUriParts {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
  params: Record<string, string>;
}

/** Parses sip:/sips:/tel: URIs enough to route: user, host, port, URI parameters. */
export function parseSipUri(uri: string): SipUriParts | undefined {
  const m = /^(sips?|tel):(.*)$/i.exec(uri.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  let rest = m[2]!;
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (scheme === 'tel') {
    const [num, ...ps] = rest.split(';');
    return { scheme, user: num, host: '', params: parseParams(ps.join(';')) };
  }
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    const colon = user.indexOf(':');
    if (colon >= 0) user = user.slice(0, colon);
    try {
      user = decodeURIComponent(user);
    } catch {
      /* keep raw */
    }
    rest = rest.slice(at + 1);
  }
  const semi = rest.indexOf(';');
  const hostport = semi < 0 ? rest : rest.slice(0, semi);
  const params = semi < 0 ? {} : parseParams(rest.slice(semi + 1));
  let host = hostport;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostport);
  if (v6) {
    host = v6[1]!;
    port = v6[2] ? Number(v6[2]) : undefined;
  } else {
    const c = hostport.lastIndexOf(':');
    if (c >= 0) {
      host = hostport.slice(0, c);
      port = Number(hostport.slice(c + 1));
    }
  }
  if (!host || (port !== undefined && !(port > 0 && port < 65536))) return undefined;
  return { scheme, user: user || undefined, host, port, params };
}

/** `host` bracketed when it is an IPv6 literal, for use in a URI. */
export function uriHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Whether two SIP URIs name the same resource (RFC 3261 §19.1.4, strictly): scheme, user
 * (case-sensitive, escapes decoded), host (case-insensitive), port, every URI parameter and any
 * headers part. Stricter than the RFC on parameters present in only one URI, because this decides
 * whether a digest answer was computed for this very request.
 */
export function sameSipUri(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseSipUri(a);
  const y = parseSipUri(b);
  if (!x || !y) return false;
  const headersOf = (u: string) => {
    const q = u.indexOf('?');
    return q < 0 ? '' : u.slice(q);
  };
  if (x.scheme !== y.scheme || x.user !== y.user || x.host.toLowerCase() !== y.host.toLowerCase() || x.port !== y.port)
    return false;
  if (headersOf(a) !== headersOf(b)) return false;
  const px = Object.entries(x.params);
  if (px.length !== Object.keys(y.params).length) return false;
  return px.every(([k, v]) => y.params[k] !== undefined && y.params[k]!.toLowerCase() === v.toLowerCase());
}

/**
 * `"Display" <uri>`, or `<uri>` without a name. The name loses quotes, backslashes and control
 * characters: it may come from a peer's header or a database, and must not break the header line.
 */
export function formatNameAddr(uri: string, displayName?: string): string {
  const name = displayName?.replace(/["\\\u0000-\u001f\u007f]/g, '').trim();
  return name ? `"${name}" <${uri}>` : `<${uri}>`;
}
