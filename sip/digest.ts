/**
 * HTTP Digest authentication as SIP uses it (RFC 2617, RFC 7616, RFC 8760 for SHA-256), qop=auth.
 * The server side issues self-validating nonces (timestamp + HMAC), so a restart or a second
 * process does not need shared state to verify them; only nonce-count replay tracking is local.
 * The client side answers 401/407 challenges for our own REGISTERs and INVITEs.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'SHA-256' | 'MD5-sess' | 'SHA-256-sess';

/** Parsed `Digest k=v, k="v"` parameters (keys lowercased, quotes removed). */
export type DigestParams = Record<string, string>;

export interface ParsedAuthHeader { scheme: string; params: DigestParams }

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
    if (rest[i] !== '=') { if (key) params[key] = ''; continue; }
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

function hashFor(algorithm: string): 'md5' | 'sha256' | undefined {
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

function quote(v: string): string {
  return `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

// ---------------------------------------------------------------------------------------------
// Server side

export interface DigestServerOptions {
  realm: string;
  /** Offered in this order (RFC 8760: the preferred first). Default SHA-256 then MD5. */
  algorithms?: ('MD5' | 'SHA-256')[];
  /** A nonce older than this is answered with stale=true. Default 5 minutes. */
  nonceTtlMs?: number;
  now?: () => number;
}

export type DigestVerdict =
  | { ok: true; username: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'invalid-nonce' | 'unknown-user' | 'bad-response' | 'replay' };

export class DigestServer {
  readonly realm: string;
  private readonly algorithms: ('MD5' | 'SHA-256')[];
  private readonly ttl: number;
  private readonly now: () => number;
  private readonly key = randomBytes(32);
  /** Highest nonce-count seen per nonce, to refuse replays; pruned when nonces expire. */
  private readonly seenNc = new Map<string, { nc: number; at: number }>();

  constructor(opts: DigestServerOptions) {
    this.realm = opts.realm;
    this.algorithms = opts.algorithms ?? ['SHA-256', 'MD5'];
    this.ttl = opts.nonceTtlMs ?? 300_000;
    this.now = opts.now ?? Date.now;
  }

  private sign(ts: string, salt: string): string {
    return createHmac('sha256', this.key).update(`${ts}:${salt}:${this.realm}`).digest('base64url').slice(0, 22);
  }

  newNonce(): string {
    const ts = this.now().toString(36);
    const salt = randomBytes(6).toString('base64url');
    return `${ts}.${salt}.${this.sign(ts, salt)}`;
  }

  /** 'fresh' | 'stale' (ours but expired) | 'invalid' (forged or garbled). */
  checkNonce(nonce: string): 'fresh' | 'stale' | 'invalid' {
    const parts = nonce.split('.');
    if (parts.length !== 3) return 'invalid';
    const [ts, salt, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(ts, salt));
    const got = Buffer.from(mac);
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) return 'invalid';
    const issued = parseInt(ts, 36);
    if (!Number.isFinite(issued)) return 'invalid';
    return this.now() - issued > this.ttl ? 'stale' : 'fresh';
  }

  /** Header values for WWW-Authenticate / Proxy-Authenticate: one per algorithm, preferred first. */
  challenge(opts: { stale?: boolean } = {}): string[] {
    const nonce = this.newNonce();
    return this.algorithms.map((alg) =>
      `Digest realm=${quote(this.realm)}, nonce=${quote(nonce)}, algorithm=${alg}, qop="auth"${opts.stale ? ', stale=true' : ''}`);
  }

  /**
   * Verifies an Authorization / Proxy-Authorization value for `method`.
   * `passwordFor` returns undefined for an unknown user.
   */
  verify(method: string, header: string | undefined, passwordFor: (username: string) => string | undefined): DigestVerdict {
    if (!header) return { ok: false, reason: 'missing' };
    const parsed = parseAuthHeader(header);
    if (!parsed || parsed.scheme.toLowerCase() !== 'digest') return { ok: false, reason: 'malformed' };
    const p = parsed.params;
    const { username, nonce, uri, response } = p;
    if (!username || !nonce || !uri || !response) return { ok: false, reason: 'malformed' };
    if (p.realm !== undefined && p.realm !== this.realm) return { ok: false, reason: 'malformed' };
    const algorithm = p.algorithm || 'MD5';
    if (!hashFor(algorithm)) return { ok: false, reason: 'malformed' };
    const state = this.checkNonce(nonce);
    // Not ours (forged, or issued before a restart): challenge afresh rather than reject.
    if (state === 'invalid') return { ok: false, reason: 'invalid-nonce' };
    const password = passwordFor(username);
    if (password === undefined) return { ok: false, reason: 'unknown-user' };
    const qop = p.qop;
    if (qop && qop !== 'auth') return { ok: false, reason: 'malformed' };
    if (qop && (!p.nc || !p.cnonce)) return { ok: false, reason: 'malformed' };
    const expected = digestResponse({
      algorithm, username, realm: this.realm, password, method, uri, nonce, qop, nc: p.nc, cnonce: p.cnonce,
    });
    const a = Buffer.from(expected);
    const b = Buffer.from(response.toLowerCase());
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: 'bad-response' };
    // A correct answer to an expired nonce tells the client its password is right: ask again with stale=true.
    if (state === 'stale') return { ok: false, reason: 'stale' };
    if (qop) {
      const nc = parseInt(p.nc!, 16);
      const seen = this.seenNc.get(nonce);
      if (seen && nc <= seen.nc) return { ok: false, reason: 'replay' };
      this.seenNc.set(nonce, { nc, at: this.now() });
      this.pruneSeen();
    }
    return { ok: true, username };
  }

  private pruneSeen(): void {
    if (this.seenNc.size < 1024) return;
    const cutoff = this.now() - this.ttl;
    for (const [k, v] of this.seenNc) if (v.at < cutoff) this.seenNc.delete(k);
  }
}

// ---------------------------------------------------------------------------------------------
// Client side

export interface DigestCredentials { username: string; password: string }

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
    const qops = (challenge.qop ?? '').split(',').map((q) => q.trim()).filter(Boolean);
    const qop = qops.includes('auth') ? 'auth' : undefined;
    if (nonce !== this.lastNonce) { this.nc = 0; this.lastNonce = nonce; }
    this.nc++;
    const nc = this.nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const response = digestResponse({
      algorithm, username: this.creds.username, realm, password: this.creds.password, method, uri, nonce,
      qop, nc: qop ? nc : undefined, cnonce: qop ? cnonce : undefined,
    });
    const parts = [
      `username=${quote(this.creds.username)}`, `realm=${quote(realm)}`, `nonce=${quote(nonce)}`,
      `uri=${quote(uri)}`, `response=${quote(response)}`, `algorithm=${algorithm}`,
    ];
    if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
    if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
    return `Digest ${parts.join(', ')}`;
  }
}
