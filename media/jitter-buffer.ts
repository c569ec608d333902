/**
 * Adaptive playout buffer for one inbound RTP stream, driven by a 20 ms clock (pop).
 *
 * - The target delay follows the RFC 3550 interarrival jitter (frame + 4 J), clamped to
 *   [minDelayMs, maxDelayMs].
 * - Packets are ordered by extended sequence number; a gap with later packets waiting is
 *   reported as `lost` so the caller runs concealment (PLC / FEC / G.711 fade).
 * - An empty buffer while playing also answers `lost` but does not advance: one frame of
 *   concealment is inserted, which is how the delay grows. A sustained deficit under the target
 *   inserts the same way (a slow sender's clock), and a sustained surplus drops one frame (a
 *   fast sender's clock); both prefer quiet frames.
 * - SSRC changes and big sequence or timestamp jumps start the stream over.
 */
import type { RtpPacketInfo } from './types.js';

export interface JitterBufferOptions {
  clockRate: number;
  frameMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface JitterBufferPop {
  packet?: RtpPacketInfo;
  lost: boolean;
}

const MAX_SEQ_JUMP = 1000;
const MAX_TS_JUMP_SECONDS = 30;
/** Pops with an empty buffer after which the sender is taken as paused (DTX, hold). */
const IDLE_POPS = 10;
/** Pops with a surplus over the target before a frame is dropped. */
const SURPLUS_POPS = 25;

/** G.711 or Opus payloads that are almost certainly silence or comfort noise. */
function looksQuiet(payload: Buffer): boolean {
  if (payload.length <= 3) return true; // Opus DTX / comfort noise
  if (payload.length < 80) return false;
  let loud = 0;
  for (let i = 0; i < payload.length; i += 4) {
    const b = payload[i] & 0x7f;
    // mu-law near zero is 0x7x (0x7f = 0); A-law near zero is 0x5x (0x55 = 8).
    if (b < 0x70 && (b < 0x50 || b > 0x5f)) loud++;
  }
  return loud === 0;
}

export class JitterBuffer {
  private readonly clockRate: number;
  private readonly frameMs: number;
  private readonly frameTicks: number;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;

  private readonly packets = new Map<number, RtpPacketInfo>();
  private ssrc: number | undefined;
  private highestSeq = -1; // extended
  private highestTs = 0;
  private nextSeq = -1; // extended; next to play
  private playing = false;
  private firstArrivalMs = 0;
  private emptyPops = 0;
  private surplusPops = 0;
  private deficitPops = 0;
  private jitterMs = 0;
  private lastTransitMs: number | undefined;

  /** Counters for diagnostics and tests. */
  readonly stats = { received: 0, late: 0, duplicate: 0, lost: 0, inserted: 0, dropped: 0, resets: 0 };

  constructor(opts: JitterBufferOptions) {
    this.clockRate = opts.clockRate;
    this.frameMs = opts.frameMs ?? 20;
    this.frameTicks = (this.clockRate * this.frameMs) / 1000;
    this.minDelayMs = opts.minDelayMs ?? 40;
    this.maxDelayMs = Math.max(this.minDelayMs, opts.maxDelayMs ?? 200);
  }

  /** Audio currently held back, from the next frame to play to the newest received. */
  get delayMs(): number {
    if (this.nextSeq < 0 || this.highestSeq < this.nextSeq) return 0;
    return (this.highestSeq - this.nextSeq + 1) * this.frameMs;
  }

  get targetDelayMs(): number {
    const t = this.frameMs + 4 * this.jitterMs;
    const frames = Math.ceil(t / this.frameMs) * this.frameMs;
    return Math.min(this.maxDelayMs, Math.max(this.minDelayMs, frames));
  }

  get jitter(): number {
    return this.jitterMs;
  }

  push(pkt: RtpPacketInfo, arrivalMs: number): void {
    if (this.ssrc !== pkt.ssrc || this.highestSeq < 0) {
      this.restart(pkt, arrivalMs);
    }
    const seq = this.extend(pkt.sequenceNumber);
    const tsJump = Math.abs(((pkt.timestamp - this.highestTs) | 0) / this.clockRate);
    if (Math.abs(seq - this.highestSeq) > MAX_SEQ_JUMP || tsJump > MAX_TS_JUMP_SECONDS) {
      this.restart(pkt, arrivalMs);
      return this.push(pkt, arrivalMs);
    }
    this.stats.received++;
    this.updateJitter(pkt.timestamp, arrivalMs);
    if (seq < this.nextSeq) {
      if (this.playing || this.nextSeq - seq > MAX_SEQ_JUMP) {
        this.stats.late++;
        return;
      }
      // Still buffering: an earlier packet overtaken by a later one starts the playout.
      this.nextSeq = seq;
    }
    if (this.packets.has(seq)) {
      this.stats.duplicate++;
      return;
    }
    this.packets.set(seq, pkt);
    if (seq > this.highestSeq) {
      this.highestSeq = seq;
      this.highestTs = pkt.timestamp;
    }
    if (!this.playing && this.packets.size === 1 && this.emptyPops >= IDLE_POPS) {
      // Resuming after a pause: buffer again from this packet.
      this.firstArrivalMs = arrivalMs;
      this.nextSeq = seq;
      this.emptyPops = 0;
    }
    this.trimOverflow();
  }

  pop(nowMs: number): JitterBufferPop | undefined {
    if (this.nextSeq < 0) return undefined;
    if (!this.playing) {
      if (this.packets.size === 0) return undefined;
      if (nowMs - this.firstArrivalMs < this.targetDelayMs - this.frameMs && this.delayMs < this.targetDelayMs) {
        return undefined;
      }
      this.playing = true;
      this.nextSeq = Math.min(...this.packets.keys());
    }

    if (this.packets.size === 0) {
      this.emptyPops++;
      if (this.emptyPops > IDLE_POPS) {
        this.playing = false;
        return undefined;
      }
      this.stats.inserted++;
      return { lost: true };
    }
    this.emptyPops = 0;

    if (this.adaptToDeficit()) {
      this.stats.inserted++;
      return { lost: true };
    }
    this.adaptToSurplus();

    const packet = this.packets.get(this.nextSeq);
    this.nextSeq++;
    if (!packet) {
      this.stats.lost++;
      return { lost: true };
    }
    this.packets.delete(this.nextSeq - 1);
    return { packet, lost: false };
  }

  reset(): void {
    this.packets.clear();
    this.ssrc = undefined;
    this.highestSeq = -1;
    this.nextSeq = -1;
    this.playing = false;
    this.emptyPops = 0;
    this.surplusPops = 0;
    this.deficitPops = 0;
    this.jitterMs = 0;
    this.lastTransitMs = undefined;
  }

  private restart(pkt: RtpPacketInfo, arrivalMs: number): void {
    if (this.ssrc !== undefined) this.stats.resets++;
    this.reset();
    this.ssrc = pkt.ssrc;
    this.highestSeq = pkt.sequenceNumber;
    this.highestTs = pkt.timestamp;
    this.nextSeq = pkt.sequenceNumber;
    this.firstArrivalMs = arrivalMs;
  }

  private extend(seq16: number): number {
    const diff = ((seq16 - (this.highestSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    return this.highestSeq + diff;
  }

  private updateJitter(timestamp: number, arrivalMs: number): void {
    // Transit time modulo a constant; its variation is the jitter (RFC 3550 6.4.1).
    const transit = arrivalMs - (timestamp >>> 0) / (this.clockRate / 1000);
    if (this.lastTransitMs !== undefined) {
      let d = Math.abs(transit - this.lastTransitMs);
      // Timestamp wrap or a talk-spurt gap: not jitter.
      if (d > 1000) d = 0;
      this.jitterMs += (d - this.jitterMs) / 16;
    }
    this.lastTransitMs = transit;
  }

  /**
   * Insert one concealed frame (do not advance) when the buffer has held less than the target
   * for a while: a slow sender's clock, or jitter that grew. Quiet audio is the cheap place to do it.
   */
  private adaptToDeficit(): boolean {
    if (this.delayMs >= this.targetDelayMs) {
      this.deficitPops = 0;
      return false;
    }
    this.deficitPops++;
    const head = this.packets.get(this.nextSeq);
    const quiet = head !== undefined && looksQuiet(head.payload);
    if ((quiet && this.deficitPops >= 3) || this.deficitPops >= SURPLUS_POPS) {
      this.deficitPops = 0;
      return true;
    }
    return false;
  }

  /** Drop one frame when the buffer has held more than the target for a while. */
  private adaptToSurplus(): void {
    const surplus = this.delayMs - this.targetDelayMs;
    if (surplus < 2 * this.frameMs) {
      this.surplusPops = 0;
      return;
    }
    this.surplusPops++;
    const head = this.packets.get(this.nextSeq);
    const quiet = head !== undefined && looksQuiet(head.payload);
    if ((quiet && this.surplusPops >= 3) || this.surplusPops >= SURPLUS_POPS) {
      this.packets.delete(this.nextSeq);
      this.nextSeq++;
      this.surplusPops = 0;
      this.stats.dropped++;
    }
  }

  /** Never hold more than twice the maximum delay: drop the oldest. */
  private trimOverflow(): void {
    const limit = Math.ceil((2 * this.maxDelayMs) / this.frameMs);
    while (this.highestSeq - this.nextSeq + 1 > limit) {
      if (this.packets.delete(this.nextSeq)) this.stats.dropped++;
      this.nextSeq++;
    }
  }
}
