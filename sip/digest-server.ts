/**
 * The server side of SIP digest authentication (RFC 3261 §22, RFC 7616, RFC 8760).
 *
 * Nonces are self-validating (issue time + salt, HMAC-signed with a per-process key over the
 * realm), so a flood of challenges costs no memory and a nonce from another realm or another
 * process is refused. A nonce lives `nonceTtlMs`; after that a correct answer gets `stale=true`.
 * Replays are stopped by state kept only for nonces actually answered: the highest nonce-count
 * seen per nonce, in a bounded table. An answer must use qop=auth (we always offer it), an
 * algorithm we offered, our realm, and a digest-uri equal to the Request-URI; the response is
 * computed over the request's own method, so nothing captured can be replayed on another
 * request, method or target.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { digestResponse, hashFor, parseAuthHeader, quote } from './digest.js';
import { sameSipUri } from './name-addr.js';

export type OfferedAlgorithm = 'MD5' | 'SHA-256';

export interface DigestServerOptions {
  realm: string;
  /** Offered in this order, one challenge each (RFC 8760: preferred first). */
  algorithms: OfferedAlgorithm[];
  /** A nonce older than this is answered with stale=true. */
  nonceTtlMs: number;
  /** Accept RFC 2069 answers (no qop, no nonce-count); each nonce is then good for one request only. */
  acceptRfc2069: boolean;
  /** Answered nonces tracked for replay; beyond it the oldest are forgotten and refused as stale. */
  maxTrackedNonces?: number;
  now?: () => number;
}

export type DigestFailure =
  | 'missing'
  | 'malformed'
  | 'wrong-realm'
  | 'algorithm-not-offered'
  | 'invalid-nonce'
  | 'stale'
  | 'qop-required'
  | 'uri-mismatch'
  | 'unknown-user'
  | 'bad-response'
  | 'replay';

/** A parsed Authorization / Proxy-Authorization answer, before any check that needs the password. */
export interface DigestAnswer {
  username: string;
  params: Record<string, string>;
}

export type DigestVerdict = { ok: true; username: string } | { ok: false; reason: DigestFailure };

/** The request the answer claims to be for. */
export interface DigestRequest {
  method: string;
  uri: string;
}

const NONCE_FUTURE_SKEW_MS = 5000;
const MAX_USERNAME = 256;
const DEFAULT_MAX_TRACKED_NONCES = 50_000;

export class DigestServer {
  readonly realm: string;
  private readonly key = randomBytes(32);
  private readonly now: () => number;
  private readonly maxTracked: number;
  /** nonce -> highest nonce-count accepted and the nonce's issue time; insertion order ~ age. */
  private readonly seen = new Map<string, { nc: number; issued: number }>();
  /** Nonces issued at or before this were forgotten from `seen`: they can no longer be trusted. */
  private forgottenUpTo = -Infinity;

  constructor(private readonly opts: DigestServerOptions) {
    if (opts.algorithms.length === 0) throw new Error('DigestServer needs at least one algorithm');
    this.realm = opts.realm;
    this.now = opts.now ?? Date.now;
    this.maxTracked = opts.maxTrackedNonces ?? DEFAULT_MAX_TRACKED_NONCES;
  }

  /** Header values for WWW-Authenticate / Proxy-Authenticate: one per algorithm, preferred first. */
  challenge(opts: { stale?: boolean } = {}): string[] {
    const nonce = this.newNonce();
    return this.opts.algorithms.map(
      (alg) =>
        `Digest realm=${quote(this.realm)}, nonce=${quote(nonce)}, algorithm=${alg}, qop="auth"${opts.stale ? ', stale=true' : ''}`,
    );
  }

  /** Parses an answer far enough to know who it claims to be; no secret or state is consulted. */
  parse(header: string | undefined): { ok: true; answer: DigestAnswer } | { ok: false; reason: 'missing' | 'malformed' } {
    if (!header) return { ok: false, reason: 'missing' };
    const parsed = parseAuthHeader(header);
    if (!parsed || parsed.scheme.toLowerCase() !== 'digest') return { ok: false, reason: 'malformed' };
    const p = parsed.params;
    if (!p.username || !p.nonce || !p.uri || !p.response) return { ok: false, reason: 'malformed' };
    // Usernames become throttle keys and log fields: no megabyte-long ones.
    if (p.username.length > MAX_USERNAME) return { ok: false, reason: 'malformed' };
    return { ok: true, answer: { username: p.username, params: p } };
  }

  /**
   * Checks an answer against the request it came with and the user's password (undefined for an
   * unknown user). Synchronous from the nonce check to recording the nonce-count, so two copies of
   * one answer arriving together cannot both pass.
   */
  verify(answer: DigestAnswer, request: DigestRequest, password: string | undefined): DigestVerdict {
    const p = answer.params;
    if (p.realm !== this.realm) return { ok: false, reason: 'wrong-realm' };
    const algorithm = p.algorithm || 'MD5';
    if (!this.opts.algorithms.some((a) => a.toLowerCase() === algorithm.toLowerCase())) {
      return { ok: false, reason: hashFor(algorithm) ? 'algorithm-not-offered' : 'malformed' };
    }
    const nonce = this.checkNonce(p.nonce!);
    // Not ours (forged, other realm, before a restart): the caller challenges afresh.
    if (nonce.state === 'invalid') return { ok: false, reason: 'invalid-nonce' };
    const qop = p.qop;
    let nc: number;
    if (qop === undefined || qop === '') {
      if (!this.opts.acceptRfc2069) return { ok: false, reason: 'qop-required' };
      nc = Number.POSITIVE_INFINITY;
    } else {
      if (qop.toLowerCase() !== 'auth' || !p.cnonce || !/^[0-9a-fA-F]{8}$/.test(p.nc ?? ''))
        return { ok: false, reason: 'malformed' };
      nc = parseInt(p.nc!, 16);
      if (nc === 0) return { ok: false, reason: 'malformed' };
    }
    if (!sameSipUri(p.uri!, request.uri)) return { ok: false, reason: 'uri-mismatch' };
    // A nonce-count used before is a replay whatever the response says (even sent with another
    // method, where it would not verify): no client reuses one, and calling it a wrong password
    // would let a replayer lock the victim's account.
    if (this.isReplay(p.nonce!, nc)) return { ok: false, reason: 'replay' };
    // An unknown user costs the same hash as a known one, so timing does not tell which names exist.
    const expected = digestResponse({
      algorithm,
      username: answer.username,
      realm: this.realm,
      password: password ?? this.key.toString('hex'),
      method: request.method,
      uri: p.uri!,
      nonce: p.nonce!,
      qop: qop || undefined,
      nc: p.nc,
      cnonce: p.cnonce,
    });
    if (password === undefined) return { ok: false, reason: 'unknown-user' };
    const a = Buffer.from(expected);
    const b = Buffer.from(p.response!.toLowerCase());
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: 'bad-response' };
    // A correct answer to an expired (or forgotten) nonce: the password is right, ask again with stale=true.
    if (nonce.state === 'stale' || (nonce.issued <= this.forgottenUpTo && !this.seen.has(p.nonce!))) {
      return { ok: false, reason: 'stale' };
    }
    this.remember(p.nonce!, nc, nonce.issued);
    return { ok: true, username: answer.username };
  }

  private newNonce(): string {
    const ts = this.now().toString(36);
    const salt = randomBytes(9).toString('base64url');
    return `${ts}.${salt}.${this.sign(ts, salt)}`;
  }

  private sign(ts: string, salt: string): string {
    return createHmac('sha256', this.key).update(`${ts}:${salt}:${this.realm}`).digest('base64url').slice(0, 22);
  }

  private checkNonce(nonce: string): { state: 'fresh' | 'stale'; issued: number } | { state: 'invalid' } {
    const parts = nonce.split('.');
    if (parts.length !== 3) return { state: 'invalid' };
    const [ts, salt, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(ts, salt));
    const got = Buffer.from(mac);
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) return { state: 'invalid' };
    const issued = parseInt(ts, 36);
    const now = this.now();
    if (!Number.isFinite(issued) || issued > now + NONCE_FUTURE_SKEW_MS) return { state: 'invalid' };
    return { state: now - issued > this.opts.nonceTtlMs ? 'stale' : 'fresh', issued };
  }

  private isReplay(nonce: string, nc: number): boolean {
    const seen = this.seen.get(nonce);
    return !!seen && (nc <= seen.nc || !Number.isFinite(nc) || !Number.isFinite(seen.nc));
  }

  private remember(nonce: string, nc: number, issued: number): void {
    const existing = this.seen.get(nonce);
    if (existing) {
      existing.nc = nc;
      return;
    }
    const now = this.now();
    // Expired nonces are refused as stale anyway: their entries can go.
    for (const [k, v] of this.seen) {
      if (now - v.issued <= this.opts.nonceTtlMs) break;
      this.seen.delete(k);
    }
    while (this.seen.size >= this.maxTracked) {
      const [k, v] = this.seen.entries().next().value as [string, { nc: number; issued: number }];
      this.seen.delete(k);
      this.forgottenUpTo = Math.max(this.forgottenUpTo, v.issued);
    }
    this.seen.set(nonce, { nc, issued });
  }
}
