/**
 * A database-wide change counter read by polling, for databases that cannot tell a connection
 * that another one committed (PostgreSQL, shared by several servers and the admin CLI). The
 * counter (`change_counters`, bumped by triggers) is read every `intervalMs`; `read()` answers
 * what the last read found, but only while that read is recent: a value is trusted for `staleMs`
 * from the moment its query was sent. A change committed before the query was sent is in what it
 * read, so whoever empties a cache when the value moves serves nothing older than `staleMs` past a
 * change, whatever becomes of the polling (a lost connection, a saturated pool, a blocked loop).
 */

export interface ChangePollerOptions {
  /** One read of the counter. */
  query: () => Promise<number>;
  intervalMs: number;
  /** How long after its query was sent a read is trusted. */
  staleMs: number;
  now?: () => number;
  /** Told once per failing stretch (the next success re-arms it). */
  onError?: (err: unknown) => void;
}

export class ChangePoller {
  private value: number | undefined;
  /** When the query behind `value` was sent. */
  private readAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: ChangePollerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * The counter, or undefined when no read within `staleMs` vouches for it (then nothing may be
   * served from or kept in a cache). The first call starts the polling: a process that never asks
   * (the admin CLI) never polls.
   */
  read = (): number | undefined => {
    if (!this.timer && !this.stopped) this.start();
    return this.now() - this.readAt <= this.opts.staleMs ? this.value : undefined;
  };

  /** One read now; resolves when it is done (tests, and the first read at start). */
  poll(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private start(): void {
    this.timer = setInterval(() => void this.poll(), this.opts.intervalMs);
    this.timer.unref();
    void this.poll();
  }

  private async pollOnce(): Promise<void> {
    const sentAt = this.now();
    try {
      const v = await this.opts.query();
      if (this.stopped) return;
      this.value = v;
      this.readAt = sentAt;
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.opts.onError?.(err);
      this.failing = true;
    }
  }
}
