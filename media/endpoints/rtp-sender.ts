/**
 * The outgoing RTP stream of one leg: our SSRC, one continuous sequence and timestamp line
 * whether packets are forwarded from another leg, encoded here, or DTMF events.
 */
import { randomInt } from 'node:crypto';
import type { AudioFrame, CodecSpec, RtpPacketInfo } from '../types.js';
import { rfc4733Packets } from '../dtmf.js';
import { ToneGenerator } from '../tones.js';
import type { RtcpReporter } from './rtcp-reporter.js';

const DTMF_STEP_MS = 50;
/** Pause between queued digits, so each is a separate press for the far end's ear and detector. */
const DTMF_GAP_MS = 40;
const MAX_QUEUED_DIGITS = 32;
const RTP_HEADER = 12;
/** A gap in our sending shorter than this (beyond one packet) is lateness, not a pause in the audio. */
const LATE_BURST_MS = 150;
/** A forwarded stream whose timestamps jump more than this is treated as a new source. */
const MAX_TS_JUMP_MS = 2000;

export class RtpSender {
  private readonly ssrc: number;
  /** Sends one datagram, header then payload; the header buffer is ours again when it returns. */
  private readonly write: (head: Buffer, payload: Buffer) => void;
  private readonly head = Buffer.alloc(RTP_HEADER);
  private readonly reporter: RtcpReporter;
  private clockRate = 8000;
  private seq = randomInt(0, 0x10000);
  private ts = randomInt(0, 2 ** 32);
  private lastSendMs = 0;
  /** Mapping from the forwarded source onto our line. */
  private srcSsrc: number | undefined;
  private srcLastTs = 0;
  private tsOffset = 0;
  private seqOffset = 0;
  private dtmfBusyUntil = 0;
  private readonly dtmfQueue: { te: CodecSpec; packets: ReturnType<typeof rfc4733Packets> }[] = [];
  private dtmfPlaying = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(ssrc: number, write: (head: Buffer, payload: Buffer) => void, reporter: RtcpReporter) {
    this.ssrc = ssrc;
    this.write = write;
    this.reporter = reporter;
  }

  setClockRate(rate: number): void {
    this.clockRate = rate;
    this.srcSsrc = undefined;
  }

  /** Pass-through: keeps the source's own gaps (so the far end conceals them) on our line. */
  forward(p: RtpPacketInfo, payloadType: number): void {
    if (Date.now() < this.dtmfBusyUntil) return;
    const tsJump = Math.abs((p.timestamp - this.srcLastTs) | 0) > (MAX_TS_JUMP_MS * this.clockRate) / 1000;
    const seqBack = (this.seq - ((p.sequenceNumber + this.seqOffset) & 0xffff)) & 0xffff;
    // Not ahead of our line (late packet, restarted source, or our own DTMF used those numbers): re-anchor.
    const restarted = seqBack < 0x8000;
    if (p.ssrc !== this.srcSsrc || tsJump || restarted) {
      const next = this.nextTimestamp(this.clockRate / 50);
      this.srcSsrc = p.ssrc;
      this.tsOffset = (next - p.timestamp) >>> 0;
      this.seqOffset = (this.seq + 1 - p.sequenceNumber) & 0xffff;
    }
    this.srcLastTs = p.timestamp;
    const seq = (p.sequenceNumber + this.seqOffset) & 0xffff;
    const ts = (p.timestamp + this.tsOffset) >>> 0;
    // Only move forward: a late packet keeps its place without dragging our line back.
    if (((seq - this.seq) & 0xffff) < 0x8000) this.seq = seq;
    if (((ts - this.ts) | 0) > 0) this.ts = ts;
    this.emitPacket(payloadType, seq, ts, p.marker, p.payload);
  }

  /** A payload we encoded covering `ticks` of RTP clock. */
  sendPayload(payloadType: number, payload: Buffer, ticks: number): void {
    if (Date.now() < this.dtmfBusyUntil) return;
    const ts = this.nextTimestamp(ticks);
    this.srcSsrc = undefined; // a forwarded stream that resumes must re-anchor
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = ts;
    this.emitPacket(payloadType, this.seq, ts, false, payload);
  }

  /**
   * RFC 4733 events, one packet every 50 ms; audio is held back while the digit plays. Digits
   * asked for while one plays wait their turn: trains interleaved on the wire would alternate two
   * event timestamps, and the far end counts every timestamp change as a new key press.
   */
  sendDtmf(te: CodecSpec, digit: string, durationMs: number): void {
    // validated now, so a bad digit throws to the caller instead of inside a timer
    const packets = rfc4733Packets(digit, durationMs, te.clockRate);
    // bounded: a peer flooding SIP INFO digits must not grow the queue without end
    if (this.dtmfQueue.length >= MAX_QUEUED_DIGITS) return;
    this.dtmfQueue.push({ te, packets });
    if (!this.dtmfPlaying) this.playNextDtmf();
  }

  private playNextDtmf(): void {
    const next = this.dtmfQueue.shift();
    this.dtmfPlaying = next !== undefined && !this.closed;
    if (!next || this.closed) return;
    const { te, packets } = next;
    const start = this.nextTimestamp(Math.round(te.clockRate / 50));
    this.ts = start;
    this.srcSsrc = undefined;
    const total = packets.length;
    const updates = Math.max(0, total - 3);
    this.dtmfBusyUntil = Date.now() + updates * DTMF_STEP_MS + 80;
    packets.forEach((pkt, i) => {
      const send = (): void => {
        if (this.closed) return;
        this.seq = (this.seq + 1) & 0xffff;
        this.emitPacket(te.payloadType, this.seq, start, pkt.marker, pkt.payload);
        if (i === total - 1) {
          this.ts = (start + pkt.durationSamples) >>> 0;
          this.lastSendMs = Date.now();
          this.later(() => this.playNextDtmf(), DTMF_GAP_MS);
        }
      };
      if (i === 0) send();
      // Updates every 50 ms; the three end packets follow each other closely.
      else this.later(send, i <= updates ? i * DTMF_STEP_MS : updates * DTMF_STEP_MS + (i - updates) * 20);
    });
  }

  /** For peers without telephone-event: the digit's tone pair in the audio. */
  sendInbandDtmf(digit: string, _durationMs: number, rate: number, sendAudio: (f: AudioFrame) => void): void {
    let gen: ToneGenerator;
    try {
      gen = new ToneGenerator(`dtmf:${digit}`, rate);
    } catch {
      return;
    }
    const step = (): void => {
      const frame = gen.next();
      if (!frame || this.closed) return;
      sendAudio({ samples: frame, sampleRate: rate });
      this.later(step, 20);
    };
    step();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Where our line stands now: one frame on, or the wall-clock time that passed since the last packet. */
  private nextTimestamp(ticks: number): number {
    const now = Date.now();
    if (this.lastSendMs === 0) return this.ts;
    const elapsed = now - this.lastSendMs;
    const byClock = Math.round((elapsed * this.clockRate) / 1000);
    // A pause well beyond one packet (silence, hold) moves the timestamp on by the time that passed.
    // A shorter gap is a worker that ran late (GC, a busy core) and now sends the audio it queued:
    // moving the line on then would put a gap into continuous audio (seen: 90 ms beside stress-ng).
    const packetMs = (ticks * 1000) / this.clockRate;
    const advance = elapsed > packetMs + LATE_BURST_MS ? Math.max(ticks, byClock) : ticks;
    return (this.ts + advance) >>> 0;
  }

  /**
   * The 12-byte header written into one reused buffer (no packet object, no DataViews, no
   * allocation: this runs for every packet a worker sends); the send path gathers it with the
   * payload or copies both when it must keep them.
   */
  private emitPacket(pt: number, seq: number, ts: number, marker: boolean, payload: Buffer): void {
    const buf = this.head;
    buf[0] = 0x80;
    buf[1] = (marker ? 0x80 : 0) | (pt & 0x7f);
    buf.writeUInt16BE(seq & 0xffff, 2);
    buf.writeUInt32BE(ts >>> 0, 4);
    buf.writeUInt32BE(this.ssrc >>> 0, 8);
    const now = Date.now();
    this.lastSendMs = now;
    this.reporter.onSent(ts, payload.length, now);
    this.write(buf, payload);
  }
}
