/**
 * How much of our Opus encoder's bitrate goes to in-band FEC follows the loss the far end reports
 * in RTCP, as browsers set their own encoders. libopus encodes SILK's redundant copy (LBRR) only
 * while its expected loss is above zero, and that copy costs about a quarter of every encode: on a
 * path that loses nothing it buys nothing.
 *
 * A reported loss is taken at once; when reports stop showing it, the expectation halves each
 * second, so one lossy report is not forgotten at the next clean one.
 */
import type { AudioEncoder } from '../codecs/index.js';

/** libopus takes 0..100; above this, more redundancy no longer helps a 20 ms stream. */
const MAX_PERCENT = 25;
const HALF_LIFE_MS = 1000;

export class FecLossTracker {
  private expected: number;
  private applied: number;
  private lastAt: number | undefined;

  /** `initialPercent`: what to expect before any report (a peer that may never send RTCP keeps it). */
  constructor(initialPercent: number) {
    this.expected = initialPercent;
    this.applied = initialPercent;
  }

  /** The loss percentage the encoder should be told now. */
  get percent(): number {
    return this.applied;
  }

  /** A new encoder starts from what is expected now. */
  prime(encoder: AudioEncoder): void {
    encoder.setPacketLoss?.(this.applied);
  }

  /** A report from the far end (fraction lost, 0..1): the encoder is told when it changes what to expect. */
  follow(fractionLost: number, encoder: AudioEncoder | undefined): void {
    const percent = this.update(fractionLost, Date.now());
    if (percent !== undefined) encoder?.setPacketLoss?.(percent);
  }

  /**
   * `fractionLost`: the far end's last report on our stream (0..1), undefined while it sent none.
   * Returns the new percentage when the encoder should be told, else undefined.
   */
  update(fractionLost: number | undefined, nowMs: number): number | undefined {
    if (fractionLost === undefined) return undefined;
    const decayed = this.lastAt === undefined ? 0 : this.expected * 0.5 ** ((nowMs - this.lastAt) / HALF_LIFE_MS);
    this.lastAt = nowMs;
    this.expected = Math.max(Math.min(MAX_PERCENT, fractionLost * 100), decayed);
    const next = this.expected < 1 ? 0 : Math.round(this.expected);
    if (next === this.applied) return undefined;
    this.applied = next;
    return next;
  }
}
