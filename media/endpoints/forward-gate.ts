/**
 * Which received packets pass-through may forward: only those ahead of the newest seen from their
 * source. A packet behind it (reordered, or a duplicate) would otherwise be sent on as if it were
 * the next one, playing its audio out of order at the far end; dropped here, the far end conceals
 * it. (The decode path does not use this: its jitter buffer puts such packets back in order.)
 * A run of packets behind means the sender restarted its numbering, and that is followed.
 */
const STALE_RESTART = 3;

export class ForwardGate {
  private lastSeq: number | undefined;
  private lastSsrc: number | undefined;
  private staleRun = 0;

  admit(ssrc: number, seq: number): boolean {
    if (ssrc === this.lastSsrc && this.lastSeq !== undefined) {
      const delta = (seq - this.lastSeq) & 0xffff;
      if ((delta === 0 || delta >= 0x8000) && ++this.staleRun < STALE_RESTART) return false;
    }
    this.staleRun = 0;
    this.lastSsrc = ssrc;
    this.lastSeq = seq;
    return true;
  }

  /** A packet of another payload (an RFC 4733 event) used this number: later audio is not behind it. */
  note(ssrc: number, seq: number): void {
    if (ssrc !== this.lastSsrc || this.lastSeq === undefined) return;
    const d = (seq - this.lastSeq) & 0xffff;
    if (d > 0 && d < 0x8000) this.lastSeq = seq;
  }
}
