/**
 * The outbound RTP numbering of a WebRTC leg. The browser sees one stream from us whatever
 * feeds it (encoded frames, packets forwarded from another leg, DTMF events), so sequence
 * numbers and timestamps are ours, continuous across source changes, while the spacing of a
 * forwarded source (silence gaps, 10/40/60 ms frames) is kept within that source.
 */
export const FRAME_TICKS = 960; // 20 ms at 48 kHz

export class RtpOutboundClock {
  private seq = Math.floor(Math.random() * 0x10000);
  private nextTs = Math.floor(Math.random() * 0x100000000);
  private fwdSsrc: number | undefined;
  private fwdLastTs = 0;

  nextSequence(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    return s;
  }

  /** Timestamp for one 20 ms frame we encode. */
  frame(): number {
    const ts = this.nextTs;
    this.nextTs = (ts + FRAME_TICKS) >>> 0;
    return ts;
  }

  /** Timestamp for a forwarded packet from source `ssrc` stamped `timestamp`. */
  forwarded(ssrc: number, timestamp: number): number {
    let step = FRAME_TICKS;
    if (this.fwdSsrc === ssrc) {
      const d = (timestamp - this.fwdLastTs) >>> 0;
      if (d > 0 && d < 48000 * 2) step = d;
    }
    this.fwdSsrc = ssrc;
    this.fwdLastTs = timestamp;
    const ts = (this.nextTs + step - FRAME_TICKS) >>> 0;
    this.nextTs = (ts + FRAME_TICKS) >>> 0;
    return ts;
  }

  /** Where an event starting now sits on the timeline. */
  peek(): number {
    return this.nextTs;
  }

  /** Audio after an event of `ticks` continues after it. */
  skip(from: number, ticks: number): void {
    if (ticks > 0) this.nextTs = (from + ticks) >>> 0;
  }
}
