/**
 * The one gate every digest-protected SIP request goes through (REGISTER with 401, INVITE from a
 * phone with 407), so both enforce the same rules: failure throttling by source address and by
 * account before any digest is computed, the digest checks of `DigestServer`, warn-level logs of
 * every failure with source and user, and counters for metrics.
 */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { AuthThrottle } from './auth-throttle.js';
import type { DigestFailure, DigestServer } from './digest-server.js';
import { reply } from './reply.js';

export interface UserCredentials {
  password: string;
  displayName?: string;
  /**
   * The user these credentials act for, when it is not the username itself: a browser widget
   * session authenticates with its own username and password but registers and calls as its agent.
   */
  aor?: string;
}

/** Finds a user's credentials; undefined for an unknown user. Config today, the database later. */
export type CredentialLookup = (username: string) => Promise<UserCredentials | undefined>;

/** A lookup over a fixed list (the `registrar.users` of the config). */
export function staticCredentials(
  users: readonly { username: string; password: string; displayName?: string }[],
): CredentialLookup {
  const byName = new Map(users.map((u) => [u.username, { password: u.password, displayName: u.displayName }]));
  return async (username) => byName.get(username);
}

/** `user` is who the request acts as; `authUser` the username whose password answered the challenge. */
export type AuthOutcome = { ok: true; user: string; authUser: string; displayName?: string } | { ok: false };

export interface SipAuthStats {
  /** Authenticated requests. */
  successes: number;
  /** Refused answers by reason (wrong password, replay, ...). */
  failures: Partial<Record<DigestFailure, number>>;
  /** Requests refused unexamined because their source or account was locked. */
  throttled: number;
}

export interface SipAuthenticatorOptions {
  digest: DigestServer;
  throttle: AuthThrottle;
  credentials: CredentialLookup;
  logger: Logger;
}

/** What a challenge looks like for the request at hand: REGISTER (registrar) or INVITE (proxy). */
const STYLES = {
  registrar: { status: 401, challenge: 'WWW-Authenticate', answer: 'Authorization' },
  proxy: { status: 407, challenge: 'Proxy-Authenticate', answer: 'Proxy-Authorization' },
} as const;

/** Answers that mean "get a new nonce and try again", not "go away". */
const RECHALLENGE = new Set<DigestFailure>(['missing', 'stale', 'invalid-nonce', 'replay']);

export class SipAuthenticator {
  private successes = 0;
  private throttled = 0;
  private readonly failures: Partial<Record<DigestFailure, number>> = {};

  constructor(private readonly opts: SipAuthenticatorOptions) {}

  /**
   * Authenticates `req`, or answers it (challenge, 403, 500) and resolves `{ ok: false }`.
   * `claimedUser` is who the request says it is before any answer (To of a REGISTER, From of an
   * INVITE), so a locked account is refused even its first challenge.
   */
  async authenticate(
    req: Srf.SrfRequest,
    res: Srf.SrfResponse,
    style: keyof typeof STYLES,
    claimedUser?: string,
  ): Promise<AuthOutcome> {
    const s = STYLES[style];
    const { digest, throttle, logger } = this.opts;
    const source = req.source_address;
    const sourceKey = `sip-source:${throttleAddress(source)}`;
    const parsed = digest.parse(req.get(s.answer));
    const user = parsed.ok ? parsed.answer.username : claimedUser;
    const userKey = user !== undefined ? `sip-user:${user}` : undefined;
    const pairKey = user !== undefined ? `sip-user-at:${user}@${throttleAddress(source)}` : undefined;
    const log = { method: req.method, user, source, port: Number(req.source_port) };

    // A phone that authenticated from here before keeps working while its address or account is
    // under attack from elsewhere; everybody else waits out a lock without a digest being computed.
    const trusted = pairKey !== undefined && throttle.check(pairKey).trusted;
    if (!trusted) {
      const lock = [throttle.check(sourceKey), ...(userKey ? [throttle.check(userKey)] : [])].find((x) => x.blocked);
      if (lock) {
        this.throttled++;
        logger.debug({ ...log, retryAfterMs: lock.retryAfterMs }, 'authentication throttled');
        reply(res, 403, 'Too Many Failed Attempts');
        return { ok: false };
      }
    }
    if (!parsed.ok) {
      if (parsed.reason === 'missing') {
        this.challenge(res, style, false);
        return { ok: false };
      }
      return this.refuse(res, log, 'malformed', [sourceKey]);
    }
    let creds: UserCredentials | undefined;
    try {
      creds = await this.opts.credentials(parsed.answer.username);
    } catch (err) {
      logger.error({ ...log, err }, 'credential lookup failed');
      reply(res, 500, 'Server Internal Error');
      return { ok: false };
    }
    const verdict = digest.verify(parsed.answer, { method: req.method, uri: req.uri }, creds?.password);
    if (verdict.ok) {
      this.successes++;
      throttle.succeed(pairKey!);
      return { ok: true, user: creds?.aor ?? verdict.username, authUser: verdict.username, displayName: creds?.displayName };
    }
    const reason = verdict.reason;
    if (reason === 'stale' || reason === 'invalid-nonce') {
      logger.debug({ ...log, reason }, 'answer to an old or foreign nonce, challenging again');
      this.challenge(res, style, reason === 'stale');
      return { ok: false };
    }
    // Only a wrong password counts against the account: anything else (a replayed or retargeted
    // answer) proves nothing about the password, and counting it would let a replayer lock the
    // victim out. Other failures count against the source, but not a replay: sip.js resends its
    // last answer on every refresh and unregister, so counting them locked a whole office behind
    // one address out after ten page reloads; a replay is challenged again and guesses nothing.
    const keys = reason === 'bad-response' ? [sourceKey, userKey!, pairKey!] : reason === 'replay' ? [] : [sourceKey];
    const detail = reason === 'uri-mismatch' ? { ...log, digestUri: parsed.answer.params.uri, requestUri: req.uri } : log;
    if (RECHALLENGE.has(reason)) {
      this.count(detail, reason, keys);
      this.challenge(res, style, false);
      return { ok: false };
    }
    return this.refuse(res, detail, reason, keys);
  }

  stats(): SipAuthStats {
    return { successes: this.successes, failures: { ...this.failures }, throttled: this.throttled };
  }

  private challenge(res: Srf.SrfResponse, style: keyof typeof STYLES, stale: boolean): void {
    const s = STYLES[style];
    reply(res, s.status, undefined, { [s.challenge]: this.opts.digest.challenge({ stale }) });
  }

  private refuse(res: Srf.SrfResponse, log: Record<string, unknown>, reason: DigestFailure, keys: string[]): AuthOutcome {
    this.count(log, reason, keys);
    reply(res, 403, 'Forbidden');
    return { ok: false };
  }

  private count(log: Record<string, unknown>, reason: DigestFailure, keys: string[]): void {
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
    // replays are routine (see above): not worth a warning each
    if (reason === 'replay') this.opts.logger.debug({ ...log, reason }, 'authentication failed');
    else this.opts.logger.warn({ ...log, reason }, 'authentication failed');
    for (const key of keys) {
      const after = this.opts.throttle.fail(key);
      if (after.blocked)
        this.opts.logger.warn({ ...log, key, retryAfterMs: after.retryAfterMs }, 'authentication locked after repeated failures');
    }
  }
}

/**
 * The address a source is throttled by: IPv4 as is, IPv6 by its /64, because one subscriber
 * usually holds a whole /64 and could otherwise rotate through addresses for free.
 */
export function throttleAddress(address: string): string {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(':')) return a;
  const [head = '', tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
