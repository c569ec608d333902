/**
 * Who a project token is, kept for a few seconds: every API request authenticates, and the lookup
 * (hash, query, row mapping) costs more than many of the reads it guards. Entries are keyed by
 * the token's SHA-256, never its plaintext.
 *
 * A revoked token must stop working at once. This process's revocations drop the entry directly;
 * another process's writes (the admin CLI on the same SQLite file) are seen through the database's
 * change counter (`changeCounter`), which empties the whole cache. A database without such a
 * counter (PostgreSQL, shared by several servers) gets no cache at all: see `Store`.
 */

export interface PrincipalCacheOptions {
  /** How long an entry is trusted without asking the database again. */
  ttlMs: number;
  /** At most this many tokens are kept; the oldest entry leaves first. */
  capacity: number;
  /** A number that changes whenever another connection commits to the database. */
  changeCounter: () => number;
  now?: () => number;
}

/** What the cache knew when a lookup began. */
export interface CacheTicket {
  drops: number;
  version: number;
}

export class PrincipalCache<V extends { token: { id: number } }> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private seenVersion: number;
  /** Bumped by every drop: a lookup that started before a revocation must not cache what it read. */
  private drops = 0;
  private readonly now: () => number;

  constructor(private readonly opts: PrincipalCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.seenVersion = opts.changeCounter();
  }

  get(hash: string): V | undefined {
    const version = this.opts.changeCounter();
    if (version !== this.seenVersion) {
      this.seenVersion = version;
      this.entries.clear();
      return undefined;
    }
    const e = this.entries.get(hash);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(hash);
      return undefined;
    }
    return e.value;
  }

  /** A ticket for `set`: take it before reading the database. */
  ticket(): CacheTicket {
    return { drops: this.drops, version: this.opts.changeCounter() };
  }

  /** Keeps what a lookup read, unless a token was dropped since its `ticket`. */
  set(hash: string, value: V, ticket: CacheTicket): void {
    if (ticket.drops !== this.drops || ticket.version !== this.opts.changeCounter()) return;
    this.entries.delete(hash);
    this.entries.set(hash, { value, expires: this.now() + this.opts.ttlMs });
    if (this.entries.size > this.opts.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Forgets the token with this id (revoked here). */
  dropToken(id: number): void {
    this.drops++;
    for (const [hash, e] of this.entries) if (e.value.token.id === id) this.entries.delete(hash);
  }

  get size(): number {
    return this.entries.size;
  }
}
