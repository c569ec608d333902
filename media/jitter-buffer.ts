/**
 * Adaptive jitter buffer for one inbound RTP stream on the live path.
 *
 * A media server in the middle of a call must not add a playout clock's 15–30 ms to every packet
 * (the phones and browsers at both ends run their own playout buffers), so this buffer plays a
 * packet the moment everything before it has been played: in-order audio passes with no delay.
 * Only a gap holds audio back: the packets after it wait, for an adaptive time, for the missing
 * ones to arrive out of order. When the wait runs out the missing frames are reported as `lost`
 * in their slot so the decoder conceals them (Opus PLC, G.711 fade), and a straggler arriving after
 * that is dropped as late.
 *
 * The wait follows the stream: at least one frame, then the larger of 2 × the RFC 3550
 * interarrival jitter and 1.5 × the longest recent wait a reordered packet actually needed,
 * never above `maxDelayMs` (0 disables holding: a gap is concealed as soon as it is seen).
 *
 * Sequence numbers are extended past 65535; an SSRC change, a big sequence jump, or a run of
 * packets behind the play point (a sender that restarted its numbering) starts the stream over.
 * Slots taken by other payloads in the same sequence space (RFC 4733 events) are `skip()`ped so
 * they are not mistaken for loss.
 */
import type { RtpPacketInfo } from './types.js';

export interface JitterBufferOptions {
  clockRate: number;
  frameMs?: number;
  /** Longest a packet is held waiting for an earlier one; 0 never holds. */
  maxDelayMs?: number;
}

/** One packet ready to decode, with the frames missing right before it (to conceal first). */
export interface PlayoutItem {
  packet: RtpPacketInfo;
  lost: number;
  /** The stream started over before this packet (new SSRC or numbering): drop decoder state. */
  restart: boolean;
}

interface Slot {
  packet: RtpPacketInfo | undefined;
  arrivalMs: number;
}

/** A jump this big (either way) is a new stream, not loss or reordering. */
const MAX_SEQ_JUMP = 1000;
/** This many packets in a row behind the play point: the sender restarted its numbering. */
const STALE_RESTART = 5;
/** How many concealed slots are remembered, to learn from their packets if they still come. */
const CONCEALED_MEMORY = 16;
/** The learnt reordering wait decays by this factor per packet (half of it gone in about 3 s). */
const REORDER_DECAY = 0.995;

export class JitterBuffer {
  readonly frameMs: number;
  readonly maxDelayMs: number;
  private msPerTick: number;

  private readonly slots = new Map<number, Slot>();
  private ssrc: number | undefined;
  private nextSeq = -1; // extended: the next slot to play
  private highestSeq = -1; // extended
  private pendingLost = 0;
  private pendingRestart = false;
  private staleRun = 0;
  private jitterMs = 0;
  private lastTransitMs: number | undefined;
  private reorderWaitMs = 0;
  /** Recently concealed slots, with when the packet that waited behind them arrived. */
  private readonly concealed = new Map<number, number>();

  /** Counters for diagnostics and tests. */
  readonly stats = { received: 0, reordered: 0, late: 0, duplicate: 0, lost: 0, restarts: 0 };

  constructor(opts: JitterBufferOptions) {
    this.frameMs = opts.frameMs ?? 20;
    this.maxDelayMs = Math.max(0, opts.maxDelayMs ?? 60);
    this.msPerTick = 1000 / opts.clockRate;
  }

  /** The codec's RTP clock, for the jitter estimate (a codec change resets the stream anyway). */
  setClockRate(clockRate: number): void {
    this.msPerTick = 1000 / clockRate;
  }

  /** Interarrival jitter (RFC 3550 §6.4.1), in ms. */
  get jitter(): number {
    return this.jitterMs;
  }

  /** How long a packet after a gap currently waits for the missing ones. */
  get holdMs(): number {
    const wanted = Math.max(this.frameMs, 2 * this.jitterMs, 1.5 * this.reorderWaitMs);
    return Math.min(this.maxDelayMs, wanted);
  }

  /** When `release()` must run to play what waits behind a gap; undefined when nothing waits. */
  get deadline(): number | undefined {
    const first = this.firstHeld();
    return first === undefined ? undefined : (this.slots.get(first) as Slot).arrivalMs + this.holdMs;
  }

  /** An audio packet arrived; returns what can be played now, in order. */
  push(packet: RtpPacketInfo, arrivalMs: number): PlayoutItem[] {
    return this.insert(packet, packet.sequenceNumber, packet.ssrc, arrivalMs);
  }

  /** A packet of another payload type took this sequence number: not a loss, nothing to play. */
  skip(sequenceNumber: number, ssrc: number, arrivalMs: number): PlayoutItem[] {
    if (this.ssrc !== ssrc) return [];
    return this.insert(undefined, sequenceNumber, ssrc, arrivalMs);
  }

  /** The deadline passed: give up on the missing packets and play what waited behind them. */
  release(nowMs: number): PlayoutItem[] {
    return this.drain(nowMs);
  }

  reset(): void {
    this.slots.clear();
    this.ssrc = undefined;
    this.nextSeq = -1;
    this.highestSeq = -1;
    this.pendingLost = 0;
    this.pendingRestart = false;
    this.staleRun = 0;
    this.jitterMs = 0;
    this.lastTransitMs = undefined;
    this.reorderWaitMs = 0;
    this.concealed.clear();
  }

  private insert(packet: RtpPacketInfo | undefined, seq16: number, ssrc: number, arrivalMs: number): PlayoutItem[] {
    // A new stream plays out whatever the old one still held before it starts.
    let flushed: PlayoutItem[] = [];
    if (this.ssrc !== ssrc || this.nextSeq < 0) flushed = this.restart(ssrc, seq16);
    let seq = this.extend(seq16);
    if (Math.abs(seq - this.nextSeq) > MAX_SEQ_JUMP) {
      flushed = this.restart(ssrc, seq16);
      seq = this.nextSeq;
    }
    if (seq < this.nextSeq) {
      if (++this.staleRun < STALE_RESTART) {
        if (packet) {
          this.stats.late++;
          // Concealed because the hold was too short for it: learn how long it would have needed.
          const waitedSince = this.concealed.get(seq);
          if (waitedSince !== undefined) this.learnReorder(arrivalMs - waitedSince);
        }
        return [];
      }
      flushed = this.restart(ssrc, seq16);
      seq = this.nextSeq;
    }
    this.staleRun = 0;
    if (this.slots.has(seq)) {
      if (packet) this.stats.duplicate++;
      return [];
    }
    if (packet) {
      this.stats.received++;
      this.updateJitter(packet.timestamp, arrivalMs);
      this.reorderWaitMs *= REORDER_DECAY;
      if (this.slots.size === 0 && seq === this.nextSeq) {
        // The common case, in order with nothing held: straight out.
        this.nextSeq++;
        if (seq > this.highestSeq) this.highestSeq = seq;
        const item = { packet, lost: this.pendingLost, restart: this.pendingRestart };
        this.pendingLost = 0;
        this.pendingRestart = false;
        return flushed.length > 0 ? [...flushed, item] : [item];
      }
      const first = this.firstHeld();
      if (first !== undefined && seq < first) {
        // It fills a gap that later packets are waiting behind: remember how late it was.
        this.stats.reordered++;
        this.learnReorder(arrivalMs - (this.slots.get(first) as Slot).arrivalMs);
      }
    }
    this.slots.set(seq, { packet, arrivalMs });
    if (seq > this.highestSeq) this.highestSeq = seq;
    const ready = this.drain(arrivalMs);
    return flushed.length > 0 ? flushed.concat(ready) : ready;
  }

  private drain(nowMs: number): PlayoutItem[] {
    const out: PlayoutItem[] = [];
    while (this.slots.size > 0) {
      const slot = this.slots.get(this.nextSeq);
      if (slot) {
        this.slots.delete(this.nextSeq);
        this.nextSeq++;
        if (slot.packet) {
          out.push({ packet: slot.packet, lost: this.pendingLost, restart: this.pendingRestart });
          this.pendingLost = 0;
          this.pendingRestart = false;
        }
        continue;
      }
      const first = this.firstHeld() as number;
      const waitedSince = (this.slots.get(first) as Slot).arrivalMs;
      if (nowMs < waitedSince + this.holdMs) break; // the same sum as `deadline`, so a timer at it always releases
      const missing = first - this.nextSeq;
      for (let seq = this.nextSeq; seq < first && Number.isFinite(nowMs); seq++) this.rememberConcealed(seq, waitedSince);
      this.pendingLost += missing;
      this.stats.lost += missing;
      this.nextSeq = first;
    }
    return out;
  }

  private learnReorder(waitMs: number): void {
    if (waitMs > this.reorderWaitMs) this.reorderWaitMs = waitMs;
  }

  private rememberConcealed(seq: number, waitedSince: number): void {
    this.concealed.set(seq, waitedSince);
    if (this.concealed.size > CONCEALED_MEMORY) this.concealed.delete(this.concealed.keys().next().value as number);
  }

  private firstHeld(): number | undefined {
    if (this.slots.size === 0) return undefined;
    let first = Infinity;
    for (const seq of this.slots.keys()) if (seq < first) first = seq;
    return first;
  }

  private restart(ssrc: number, seq16: number): PlayoutItem[] {
    const wasRunning = this.ssrc !== undefined;
    const flushed = wasRunning ? this.drain(Infinity) : [];
    const { jitterMs, reorderWaitMs } = this;
    this.reset();
    if (wasRunning) {
      this.stats.restarts++;
      // Same network path: what was learnt about it still holds.
      this.jitterMs = jitterMs;
      this.reorderWaitMs = reorderWaitMs;
    }
    this.ssrc = ssrc;
    this.nextSeq = seq16;
    this.highestSeq = seq16;
    this.pendingRestart = wasRunning;
    return flushed;
  }

  /** The 16-bit number closest to the newest one seen, on the extended line. */
  private extend(seq16: number): number {
    const diff = ((seq16 - (this.highestSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    return this.highestSeq + diff;
  }

  private updateJitter(timestamp: number, arrivalMs: number): void {
    const transit = arrivalMs - (timestamp >>> 0) * this.msPerTick;
    if (this.lastTransitMs !== undefined) {
      let d = Math.abs(transit - this.lastTransitMs);
      if (d > 1000) d = 0; // a timestamp wrap or a talk-spurt pause, not jitter
      this.jitterMs += (d - this.jitterMs) / 16;
    }
    this.lastTransitMs = transit;
  }
}
