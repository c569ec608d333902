/**
 * RFC 4733 telephone-event payloads: encoding, decoding, the packet train for one digit, and
 * a receiver that turns packets into one event per key press.
 */
import type { DtmfEvent, RtpPacketInfo } from './types.js';
import { digitToEvent, eventToDigit } from './dtmf-keypad.js';

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

export function encodeTelephoneEvent(e: TelephoneEvent): Buffer {
  const b = Buffer.alloc(4);
  b[0] = e.event & 0xff;
  b[1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  b.writeUInt16BE(Math.max(0, Math.min(0xffff, Math.round(e.duration))), 2);
  return b;
}

export function decodeTelephoneEvent(b: Buffer): TelephoneEvent | undefined {
  if (b.length < 4) return undefined;
  return { event: b[0], end: (b[1] & 0x80) !== 0, volume: b[1] & 0x3f, duration: b.readUInt16BE(2) };
}

const UPDATE_MS = 50;
const END_REPEATS = 3;
const DEFAULT_VOLUME = 10; // -10 dBm0

/**
 * Packets for one digit, in sending order, one every 50 ms: the first carries the marker, each
 * one the duration so far, and the last duration goes out three times with the end bit. All share
 * one RTP timestamp (the event start); durations longer than the 16-bit field are capped.
 */
export function rfc4733Packets(
  digit: string,
  durationMs: number,
  clockRate: number,
): { payload: Buffer; marker: boolean; durationSamples: number }[] {
  const event = digitToEvent(digit);
  if (event < 0) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  const total = Math.min(0xffff, Math.max(1, Math.round((durationMs * clockRate) / 1000)));
  const step = Math.round((UPDATE_MS * clockRate) / 1000);
  const out: { payload: Buffer; marker: boolean; durationSamples: number }[] = [];
  for (let d = step; d < total; d += step) {
    out.push({
      payload: encodeTelephoneEvent({ event, end: false, volume: DEFAULT_VOLUME, duration: d }),
      marker: out.length === 0,
      durationSamples: d,
    });
  }
  for (let i = 0; i < END_REPEATS; i++) {
    out.push({
      payload: encodeTelephoneEvent({ event, end: true, volume: DEFAULT_VOLUME, duration: total }),
      marker: out.length === 0,
      durationSamples: total,
    });
  }
  return out;
}

/** An event whose end packets never came is emitted this long after its last packet. */
const END_TIMEOUT_MS = 300;
const REMEMBERED = 8;

interface OpenEvent {
  timestamp: number;
  event: number;
  duration: number;
  /** flush() time at which no packet had arrived since the previous flush. */
  quietSinceMs: number | undefined;
}

export class Rfc4733Receiver {
  private readonly clockRate: number;
  private open: OpenEvent | undefined;
  /** Timestamps of events already emitted: their repeated or late packets are ignored. */
  private readonly done: number[] = [];
  private readonly pending: DtmfEvent[] = [];

  constructor(clockRate: number) {
    this.clockRate = clockRate;
  }

  push(pkt: RtpPacketInfo): DtmfEvent | undefined {
    const te = decodeTelephoneEvent(pkt.payload);
    const digit = te ? eventToDigit(te.event) : undefined;
    if (te && digit !== undefined && !this.done.includes(pkt.timestamp)) {
      if (this.open && this.open.timestamp !== pkt.timestamp) {
        // A new key press while the previous one never saw its end: that one is over.
        this.finish();
      }
      if (!this.open) {
        this.open = { timestamp: pkt.timestamp, event: te.event, duration: 0, quietSinceMs: undefined };
      }
      this.open.duration = Math.max(this.open.duration, te.duration);
      this.open.quietSinceMs = undefined;
      if (te.end) this.finish();
    }
    return this.pending.shift();
  }

  flush(nowMs: number): DtmfEvent | undefined {
    if (this.open) {
      if (this.open.quietSinceMs === undefined) this.open.quietSinceMs = nowMs;
      else if (nowMs - this.open.quietSinceMs >= END_TIMEOUT_MS) this.finish();
    }
    return this.pending.shift();
  }

  private finish(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    this.done.push(open.timestamp);
    if (this.done.length > REMEMBERED) this.done.shift();
    this.pending.push({
      digit: eventToDigit(open.event) ?? '',
      durationMs: Math.round((open.duration * 1000) / this.clockRate),
      source: 'rfc4733',
    });
  }
}
