/**
 * Load shedding per source address, so that one source flooding requests cannot starve the others
 * or make us amplify its traffic. A source holding `maxOpen` server transactions that still wait on
 * an app's answer or on the source's ACK, or leaving `maxUnacked` rejected INVITEs unacknowledged
 * (a UA following RFC 3261 ACKs within a round trip; a flooder never does), gets further requests
 * refused statelessly (503, nothing kept, nothing reaching the app). Once a source leaves
 * `maxUnackedRetransmitted` rejections unacknowledged, further ones are sent without Timer G
 * retransmissions (its own INVITE retransmissions are still answered).
 */
import type { ServerTransaction } from '../transaction/server-transaction.js';

export class SourceLoad {
  private readonly open = new Map<string, number>();
  private readonly unacked = new Map<string, number>();

  private readonly buckets = new Map<string, { at: number; left: number }>();

  constructor(
    private readonly maxOpen: number,
    private readonly maxUnackedRetransmitted = 32,
    private readonly maxUnacked = 256,
    private readonly replyRate = 100,
  ) {}

  /** Whether a new request from `source` should be shed. */
  overloaded(source: string): boolean {
    if (this.maxOpen <= 0) return false;
    return (this.open.get(source) ?? 0) >= this.maxOpen || (this.unacked.get(source) ?? 0) >= this.maxUnacked;
  }

  /**
   * Whether a request from a shed source is worth a 503 at all: up to `replyRate` a second each;
   * beyond that the transport drops its requests unparsed, which is what keeps a flood from
   * starving everyone else of the event loop (and the kernel's receive buffer).
   */
  replyBudget(source: string, now = Date.now()): boolean {
    let b = this.buckets.get(source);
    if (!b || now - b.at >= 1000) {
      if (this.buckets.size > 10_000) this.buckets.clear();
      b = { at: now, left: this.replyRate };
      this.buckets.set(source, b);
    }
    if (b.left <= 0) return false;
    b.left--;
    return true;
  }

  /** For the transport, before parsing: false drops a request from a shed source over its reply budget. */
  admits(source: string): boolean {
    return !this.overloaded(source) || this.replyBudget(source);
  }

  /** Whether a rejection to `source` may be retransmitted (Timer G). */
  retransmits(source: string): boolean {
    return (this.unacked.get(source) ?? 0) < this.maxUnackedRetransmitted;
  }

  track(source: string, txn: ServerTransaction): void {
    bump(this.open, source, 1);
    let unacked = false;
    txn.once('unacked', () => {
      unacked = true;
      bump(this.unacked, source, 1);
    });
    txn.once('settled', () => {
      bump(this.open, source, -1);
      if (unacked) bump(this.unacked, source, -1);
    });
  }

  stats(): { sources: number; open: number; unacked: number } {
    let open = 0;
    let unacked = 0;
    for (const n of this.open.values()) open += n;
    for (const n of this.unacked.values()) unacked += n;
    return { sources: this.open.size, open, unacked };
  }
}

function bump(m: Map<string, number>, k: string, d: number): void {
  const n = (m.get(k) ?? 0) + d;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}
