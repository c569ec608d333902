/**
 * Who a project token is, kept for a few seconds: every API request authenticates, and the lookup
 * (hash, query, row mapping) costs more than many of the reads it guards. Entries are keyed by
 * the token's SHA-256, never its plaintext.
 *
 * A revoked token must stop working at once. This process's revocations drop the entry directly;
 * another process's writes are seen through the database's change counter (`changeCounter`), which
 * empties the whole cache when it moves: SQLite's `data_version` for the admin CLI on the same
 * file, at once; on PostgreSQL a trigger-bumped counter read by polling (`ChangePoller`), within
 * its staleness bound. While the counter cannot be vouched for (undefined), nothing is served or kept.
 */

export interface PrincipalCacheOptions {
  /** How long an entry is trusted without asking the database again. */
  ttlMs: number;
  /** At most this many tokens are kept; the oldest entry leaves first. */
  capacity: number;
  /**
   * A number that changes whenever another connection commits a change to tokens; undefined while
   * it cannot be told (then the cache neither serves nor keeps anything).
   */
  changeCounter: () => number | undefined;
  now?: () => number;
}

/** What the cache knew when a lookup began. */
export interface CacheTicket {
  drops: number;
  version: number | undefined;
}

export class PrincipalCache<V extends { token: { id: number } }> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  /** The counter when the entries were kept (read at first use, not at construction: polling starts lazily). */
  private seenVersion: number | undefined;
  /** Bumped by every drop: a lookup that started before a revocation must not cache what it read. */
  private drops = 0;
  private readonly now: () => number;

  constructor(private readonly opts: PrincipalCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  get(hash: string): V | undefined {
    const version = this.opts.changeCounter();
    if (version === undefined) return undefined;
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
    if (ticket.version === undefined || ticket.drops !== this.drops || ticket.version !== this.opts.changeCounter()) return;
    if (ticket.version !== this.seenVersion) {
      // Kept before the counter moved (or the first entry): what is held belongs to an older version.
      this.entries.clear();
      this.seenVersion = ticket.version;
    }
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
