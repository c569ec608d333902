/**
 * HTTP Digest authentication as SIP uses it (RFC 2617, RFC 7616, RFC 8760 for SHA-256), qop=auth:
 * header parsing, the response computation, and the client side that answers 401/407 challenges
 * for our own REGISTERs and INVITEs. The server side is `digest-server.ts`.
 */
import { createHash, randomBytes } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'SHA-256' | 'MD5-sess' | 'SHA-256-sess';

/** Parsed `Digest k=v, k="v"` parameters (keys lowercased, quotes removed). */
export type DigestParams = Record<string, string>;

export interface ParsedAuthHeader {
  scheme: string;
  params: DigestParams;
}

/** Parses one WWW-Authenticate / Authorization value. Returns undefined on garbage. */
export function parseAuthHeader(value: string | undefined): ParsedAuthHeader | undefined {
  if (!value) return undefined;
  const m = /^\s*([A-Za-z0-9_-]+)\s+(.*)$/s.exec(value);
  if (!m) return undefined;
  const params: DigestParams = {};
  const rest = m[2]!;
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && /[\s,]/.test(rest[i]!)) i++;
    const keyStart = i;
    while (i < rest.length && rest[i] !== '=' && rest[i] !== ',') i++;
    const key = rest.slice(keyStart, i).trim().toLowerCase();
    if (rest[i] !== '=') {
      if (key) params[key] = '';
      continue;
    }
    i++;
    while (i < rest.length && rest[i] === ' ') i++;
    let val = '';
    if (rest[i] === '"') {
      i++;
      while (i < rest.length && rest[i] !== '"') {
        if (rest[i] === '\\' && i + 1 < rest.length) i++;
        val += rest[i];
        i++;
      }
      i++;
    } else {
      const start = i;
      while (i < rest.length && rest[i] !== ',') i++;
      val = rest.slice(start, i).trim();
    }
    if (key) params[key] = val;
  }
  return { scheme: m[1]!, params };
}

export function hashFor(algorithm: string): 'md5' | 'sha256' | undefined {
  const a = algorithm.toUpperCase();
  if (a === 'MD5' || a === 'MD5-SESS') return 'md5';
  if (a === 'SHA-256' || a === 'SHA-256-SESS') return 'sha256';
  return undefined;
}

function h(alg: 'md5' | 'sha256', data: string): string {
  return createHash(alg).update(data, 'utf8').digest('hex');
}

export interface DigestInputs {
  algorithm: string;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}

/** The `response` value (RFC 7616 §3.4.1). Throws on an unsupported algorithm. */
export function digestResponse(p: DigestInputs): string {
  const alg = hashFor(p.algorithm);
  if (!alg) throw new Error(`unsupported digest algorithm ${p.algorithm}`);
  let ha1 = h(alg, `${p.username}:${p.realm}:${p.password}`);
  if (p.algorithm.toUpperCase().endsWith('-SESS')) ha1 = h(alg, `${ha1}:${p.nonce}:${p.cnonce ?? ''}`);
  const ha2 = h(alg, `${p.method}:${p.uri}`);
  if (p.qop) return h(alg, `${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`);
  return h(alg, `${ha1}:${p.nonce}:${ha2}`);
}

export function quote(v: string): string {
  return `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

// ---------------------------------------------------------------------------------------------
// Client side

export interface DigestCredentials {
  username: string;
  password: string;
}

/**
 * Picks the strongest challenge we support among several WWW-/Proxy-Authenticate values
 * (RFC 8760 §2.4: the client uses the first it supports; we prefer SHA-256 whatever the order).
 */
export function pickChallenge(values: string[]): DigestParams | undefined {
  const digests = values.map(parseAuthHeader).filter((c): c is ParsedAuthHeader => !!c && c.scheme.toLowerCase() === 'digest');
  const supported = digests.filter((c) => hashFor(c.params.algorithm || 'MD5') && c.params.nonce !== undefined);
  const sha = supported.find((c) => hashFor(c.params.algorithm || 'MD5') === 'sha256');
  return (sha ?? supported[0])?.params;
}

/** Answers challenges, keeping the nonce-count per nonce as RFC 7616 requires for reuse. */
export class DigestClient {
  private nc = 0;
  private lastNonce = '';

  constructor(private readonly creds: DigestCredentials) {}

  /** Builds an Authorization / Proxy-Authorization value for `method` and `uri`. */
  authorize(challenge: DigestParams, method: string, uri: string): string {
    const algorithm = challenge.algorithm || 'MD5';
    const realm = challenge.realm ?? '';
    const nonce = challenge.nonce ?? '';
    const qops = (challenge.qop ?? '')
      .split(',')
      .map((q) => q.trim())
      .filter(Boolean);
    const qop = qops.includes('auth') ? 'auth' : undefined;
    if (nonce !== this.lastNonce) {
      this.nc = 0;
      this.lastNonce = nonce;
    }
    this.nc++;
    const nc = this.nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const response = digestResponse({
      algorithm,
      username: this.creds.username,
      realm,
      password: this.creds.password,
      method,
      uri,
      nonce,
      qop,
      nc: qop ? nc : undefined,
      cnonce: qop ? cnonce : undefined,
    });
    const parts = [
      `username=${quote(this.creds.username)}`,
      `realm=${quote(realm)}`,
      `nonce=${quote(nonce)}`,
      `uri=${quote(uri)}`,
      `response=${quote(response)}`,
      `algorithm=${algorithm}`,
    ];
    if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
    if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
    return `Digest ${parts.join(', ')}`;
  }
}
