/**
 * Sends digits as RFC 4733 events at 48 kHz: one packet every 20 ms with a growing duration,
 * the first marked, then three End packets. Digits queued while one plays go out after it.
 */
import { buildTelephoneEvent, dtmfDigitToEvent } from './webrtc-dtmf.js';

type SendFn = (payload: Buffer, marker: boolean, timestamp: number) => void;

const TICKS_PER_MS = 48;
const PACKET_MS = 20;
const GAP_MS = 60;

interface Job {
  event: number;
  ticks: number;
  timestamp: number;
}

export class DtmfSender {
  private readonly queue: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sentTicks = 0;
  private closed = false;
  /** Timestamp after the last queued event, so back-to-back digits do not overlap. */
  private tailTs: number | undefined;

  constructor(private readonly transmit: SendFn) {}

  /** Returns the RTP ticks the event (plus its inter-digit gap) occupies. */
  send(digit: string, durationMs: number, timestamp: number): number {
    const event = dtmfDigitToEvent(digit);
    if (event === undefined || this.closed) return 0;
    const ms = Math.max(40, Math.min(durationMs, 5000));
    const ticks = Math.round(ms * TICKS_PER_MS);
    const start = this.busy() && this.tailTs !== undefined ? this.tailTs : timestamp;
    const span = ticks + GAP_MS * TICKS_PER_MS;
    this.tailTs = (start + span) >>> 0;
    this.queue.push({ event, ticks, timestamp: start });
    if (!this.timer) this.tick();
    return (start + span - timestamp) >>> 0;
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private busy(): boolean {
    return this.queue.length > 0;
  }

  private tick(): void {
    this.timer = undefined;
    const job = this.queue[0];
    if (!job || this.closed) return;
    const first = this.sentTicks === 0;
    this.sentTicks = Math.min(job.ticks, this.sentTicks + PACKET_MS * TICKS_PER_MS);
    if (this.sentTicks < job.ticks) {
      this.transmit(
        buildTelephoneEvent({ event: job.event, end: false, volume: 10, duration: this.sentTicks }),
        first,
        job.timestamp,
      );
      this.timer = setTimeout(() => this.tick(), PACKET_MS);
      return;
    }
    const end = buildTelephoneEvent({ event: job.event, end: true, volume: 10, duration: job.ticks });
    for (let i = 0; i < 3; i++) this.transmit(end, first && i === 0, job.timestamp);
    this.queue.shift();
    this.sentTicks = 0;
    if (this.queue.length > 0) this.timer = setTimeout(() => this.tick(), GAP_MS);
  }
}
