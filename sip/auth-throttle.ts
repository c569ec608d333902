/**
 * Failure throttling for password checks, keyed by whatever the caller chooses (a source address,
 * a username, a username at an address). Protocol-free on purpose: the SIP registrar, the INVITE
 * challenge and the HTTP API share one instance, so guesses spread across them add up.
 *
 * A key that fails `maxFailures` times within `windowMs` is locked for `blockMs`; each further
 * lockout before it has been quiet for `maxBlockMs` doubles the lock (capped at `maxBlockMs`) and
 * needs a single failure to trigger, so a patient guesser gets one try per (ever longer) lock.
 * A key that succeeded recently is "trusted": callers can let a known phone through while its
 * address or account is under attack from elsewhere. Memory is bounded by `maxKeys`.
 */

export interface AuthThrottleOptions {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  maxBlockMs: number;
  /** How long a success keeps a key trusted. */
  trustMs: number;
  maxKeys: number;
  now?: () => number;
}

export interface ThrottleState {
  blocked: boolean;
  /** Milliseconds until the lock ends (0 when not blocked). */
  retryAfterMs: number;
  /** Succeeded within `trustMs` and not locked since. */
  trusted: boolean;
}

/** Counters for metrics: totals since start, and the current table. */
export interface AuthThrottleStats {
  /** `fail()` calls: wrong passwords, unknown users, replays, as the callers count them. */
  failures: number;
  /** Times a key became locked. */
  lockouts: number;
  /** Keys currently locked. */
  blocked: number;
  /** Keys held in memory. */
  tracked: number;
}

interface Entry {
  failures: number;
  windowStart: number;
  blockedUntil: number;
  /** Lockouts in the current back-off series. */
  strikes: number;
  lastFailureAt: number;
  lastSuccessAt: number;
}

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private failures = 0;
  private lockouts = 0;

  constructor(private readonly opts: AuthThrottleOptions) {
    this.now = opts.now ?? Date.now;
  }

  check(key: string): ThrottleState {
    const e = this.entries.get(key);
    if (!e) return { blocked: false, retryAfterMs: 0, trusted: false };
    const now = this.now();
    const retryAfterMs = Math.max(0, e.blockedUntil - now);
    // A lockout since the last success ends the trust until the next success.
    const trusted = retryAfterMs === 0 && e.strikes === 0 && e.lastSuccessAt > 0 && now - e.lastSuccessAt < this.opts.trustMs;
    return { blocked: retryAfterMs > 0, retryAfterMs, trusted };
  }

  /** Records one failure; returns the new state (blocked when this failure locked the key). */
  fail(key: string): ThrottleState {
    const now = this.now();
    const e = this.touch(key, now);
    this.failures++;
    // A series of lockouts ends once the key has been quiet for a full maximum lock.
    if (e.strikes > 0 && this.seriesOver(e, now)) e.strikes = 0;
    if (now - e.windowStart > this.opts.windowMs) {
      e.failures = 0;
      e.windowStart = now;
    }
    e.failures++;
    e.lastFailureAt = now;
    const threshold = e.strikes > 0 ? 1 : this.opts.maxFailures;
    if (e.blockedUntil <= now && e.failures >= threshold) {
      e.strikes++;
      const lock = Math.min(this.opts.blockMs * 2 ** (e.strikes - 1), this.opts.maxBlockMs);
      e.blockedUntil = now + lock;
      e.failures = 0;
      e.windowStart = now;
      this.lockouts++;
    }
    const retryAfterMs = Math.max(0, e.blockedUntil - now);
    return { blocked: retryAfterMs > 0, retryAfterMs, trusted: false };
  }

  /** Records a success: the key's failures are forgiven and it becomes trusted. */
  succeed(key: string): void {
    const now = this.now();
    const e = this.touch(key, now);
    e.failures = 0;
    e.strikes = 0;
    e.blockedUntil = 0;
    e.lastSuccessAt = now;
  }

  stats(): AuthThrottleStats {
    const now = this.now();
    let blocked = 0;
    for (const e of this.entries.values()) if (e.blockedUntil > now) blocked++;
    return { failures: this.failures, lockouts: this.lockouts, blocked, tracked: this.entries.size };
  }

  /** Quiet for a full maximum lock after the last lock ended: the next lockout starts a new series. */
  private seriesOver(e: Entry, now: number): boolean {
    return now - Math.max(e.blockedUntil, e.lastFailureAt) > this.opts.maxBlockMs;
  }

  /** The entry for `key`, created if needed, moved to the most-recently-used end. */
  private touch(key: string, now: number): Entry {
    let e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
    } else {
      e = { failures: 0, windowStart: now, blockedUntil: 0, strikes: 0, lastFailureAt: 0, lastSuccessAt: 0 };
      if (this.entries.size >= this.opts.maxKeys) this.evict(now);
    }
    this.entries.set(key, e);
    return e;
  }

  /**
   * Makes room by looking at the least recently used few keys only (a full scan per request would
   * let a flood of fresh keys cost O(n) each): forgotten first those that no longer matter, else
   * the oldest unlocked one, and only as a last resort a locked one.
   */
  private evict(now: number): void {
    let scanned = 0;
    let unlocked: string | undefined;
    for (const [k, e] of this.entries) {
      if (++scanned > EVICTION_SCAN) break;
      const idle =
        (e.strikes === 0 ? e.blockedUntil <= now : this.seriesOver(e, now)) &&
        now - e.windowStart > this.opts.windowMs &&
        now - e.lastSuccessAt >= this.opts.trustMs;
      if (idle) {
        this.entries.delete(k);
        return;
      }
      if (unlocked === undefined && e.blockedUntil <= now) unlocked = k;
    }
    const victim = unlocked ?? this.entries.keys().next().value;
    if (victim !== undefined) this.entries.delete(victim);
  }
}

const EVICTION_SCAN = 16;
