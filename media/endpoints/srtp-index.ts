/**
 * The packet index of received SRTP (RFC 3711 §3.3.1) and its replay list (§3.3.2), for one SSRC.
 *
 * werift guesses the rollover counter from the last packet only and keeps no replay list: a packet
 * captured off the wire could be sent again and would be accepted and played. Here the index is
 * estimated against the highest authenticated one, and an index already seen, or older than the
 * window, is refused before any decryption work.
 */

/** RFC 3711 asks for at least 64; 128 covers 2.5 s of 20 ms audio. */
const WINDOW = 128;
const WORDS = WINDOW / 32;

export class SrtpInboundIndex {
  /** Highest authenticated index (ROC · 65536 + SEQ), i.e. s_l and ROC of the RFC together. */
  private highest: number;
  private readonly seen = new Uint32Array(WORDS);

  /** `roc` and `lastSequence`: where the stream stands (taken over from werift's bookkeeping). */
  constructor(roc: number, lastSequence: number) {
    this.highest = roc * 0x10000 + lastSequence;
    this.mark(this.highest);
  }

  get roc(): number {
    return Math.floor(this.highest / 0x10000);
  }

  get lastSequence(): number {
    return this.highest % 0x10000;
  }

  /** The index `seq` stands for, or -1 when that index was received already or is too old to tell. */
  estimate(seq: number): number {
    const roc = Math.floor(this.highest / 0x10000);
    const sl = this.highest % 0x10000;
    let v = roc;
    if (sl < 0x8000) {
      if (seq - sl > 0x8000) v = roc - 1;
    } else if (sl - 0x8000 > seq) v = roc + 1;
    if (v < 0) return -1;
    const index = v * 0x10000 + seq;
    if (index > this.highest) return index;
    if (this.highest - index >= WINDOW) return -1;
    return this.isSeen(index) ? -1 : index;
  }

  /** Records an index once its packet authenticated (never before: a forged packet must not move the window). */
  accept(index: number): void {
    if (index > this.highest) {
      const ahead = index - this.highest;
      if (ahead >= WINDOW) this.seen.fill(0);
      else for (let i = this.highest + 1; i < index; i++) this.clear(i);
      this.highest = index;
    }
    this.mark(index);
  }

  private isSeen(index: number): boolean {
    const bit = index % WINDOW;
    return (this.seen[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }

  private mark(index: number): void {
    const bit = index % WINDOW;
    this.seen[bit >>> 5] |= 1 << (bit & 31);
  }

  private clear(index: number): void {
    const bit = index % WINDOW;
    this.seen[bit >>> 5] &= ~(1 << (bit & 31));
  }
}
