/**
 * RFC 4733 telephone-event on a WebRTC leg. Browsers send named events at the Opus clock
 * (48 kHz); a digit arrives as a burst of packets sharing one RTP timestamp, the last three
 * carrying the End bit. The receiver reports each digit once, on its first End packet (or,
 * if every End packet was lost, when the next event starts).
 */
import type { DtmfEvent } from '../types.js';

const DIGITS = '0123456789*#ABCD';
/** Reported digits whose timestamps are remembered. */
const REMEMBERED = 8;

export function dtmfDigitToEvent(digit: string): number | undefined {
  const i = DIGITS.indexOf(digit.toUpperCase());
  return i < 0 ? undefined : i;
}

export function dtmfEventToDigit(event: number): string | undefined {
  return event >= 0 && event < DIGITS.length ? DIGITS[event] : undefined;
}

export interface TelephoneEventPayload {
  event: number;
  end: boolean;
  volume: number;
  /** In RTP clock units. */
  duration: number;
}

export function parseTelephoneEvent(payload: Buffer): TelephoneEventPayload | undefined {
  if (payload.length < 4) return undefined;
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: payload.readUInt16BE(2),
  };
}

export function buildTelephoneEvent(p: TelephoneEventPayload): Buffer {
  const b = Buffer.alloc(4);
  b[0] = p.event & 0xff;
  b[1] = (p.end ? 0x80 : 0) | (p.volume & 0x3f);
  b.writeUInt16BE(Math.min(p.duration, 0xffff), 2);
  return b;
}

/** Turns a stream of telephone-event packets into one DtmfEvent per key press. */
export class TelephoneEventReceiver {
  private currentTs: number | undefined;
  private pending: { digit: string; duration: number } | undefined;
  /** Timestamps of digits already reported, however they ended: their late packets are not a new press. */
  private readonly reported: number[] = [];

  constructor(
    private readonly clockRate: number,
    private readonly onDigit: (e: DtmfEvent) => void,
  ) {}

  push(timestamp: number, payload: Buffer): void {
    const ev = parseTelephoneEvent(payload);
    if (!ev) return;
    const digit = dtmfEventToDigit(ev.event);
    if (digit === undefined) return;
    if (this.reported.includes(timestamp)) return; // End retransmissions, or late packets, of a digit already reported
    if (this.currentTs !== undefined && timestamp !== this.currentTs) this.flush();
    this.currentTs = timestamp;
    this.pending = { digit, duration: ev.duration };
    if (ev.end) this.report();
  }

  /** A digit whose End packets never came is still a digit. */
  flush(): void {
    if (this.pending) this.report();
  }

  private report(): void {
    const p = this.pending;
    if (this.currentTs !== undefined) {
      this.reported.push(this.currentTs);
      if (this.reported.length > REMEMBERED) this.reported.shift();
    }
    this.pending = undefined;
    this.currentTs = undefined;
    if (!p) return;
    this.onDigit({ digit: p.digit, durationMs: Math.round((p.duration * 1000) / this.clockRate), source: 'rfc4733' });
  }
}
