/**
 * RTP statistics of one leg (RFC 3550 appendix A) and the RTCP sender/receiver reports built
 * from them with rtp.js.
 */
import { CompoundPacket, ReceiverReportPacket, ReceptionReport, SenderReportPacket } from 'rtp.js/packets';
import { dataViewToNodeBuffer, nodeBufferToDataView } from 'rtp.js/utils';
import { isWellFormedRtcp } from './rtp-wire.js';

const NTP_EPOCH_OFFSET = 2208988800;

export class RtcpReporter {
  readonly localSsrc: number;
  private clockRate = 8000;
  // sending side
  packetsSent = 0;
  octetsSent = 0;
  lastSentTimestamp = 0;
  private lastSentAtMs = 0;
  // receiving side
  remoteSsrc: number | undefined;
  packetsReceived = 0;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitter = 0;
  private lastTransit: number | undefined;
  private lastSrNtpMiddle = 0;
  private lastSrAtMs = 0;
  reportsReceived = 0;
  /** What the far end last reported of our stream's loss (0..1); undefined until it does. */
  remoteFractionLost: number | undefined;
  /** Called with each of the far end's reports on our stream (its fraction lost, 0..1). */
  onLossReport: ((fractionLost: number) => void) | undefined;

  constructor(localSsrc: number) {
    this.localSsrc = localSsrc;
  }

  setClockRate(rate: number): void {
    this.clockRate = rate;
  }

  onSent(timestamp: number, payloadBytes: number, nowMs = Date.now()): void {
    this.packetsSent++;
    this.octetsSent += payloadBytes;
    this.lastSentTimestamp = timestamp;
    this.lastSentAtMs = nowMs;
  }

  onReceived(ssrc: number, seq: number, timestamp: number, nowMs: number): void {
    if (ssrc !== this.remoteSsrc) {
      this.remoteSsrc = ssrc;
      this.baseSeq = seq;
      this.maxSeq = seq;
      this.cycles = 0;
      this.packetsReceived = 0;
      this.expectedPrior = 0;
      this.receivedPrior = 0;
      this.lastTransit = undefined;
      this.jitter = 0;
    }
    this.packetsReceived++;
    const delta = (seq - this.maxSeq) & 0xffff;
    if (delta > 0 && delta < 0x8000) {
      if (seq < this.maxSeq) this.cycles += 0x10000;
      this.maxSeq = seq;
    }
    const arrival = (nowMs * this.clockRate) / 1000;
    const transit = arrival - timestamp;
    if (this.lastTransit !== undefined) {
      const d = Math.abs(transit - this.lastTransit);
      if (d < this.clockRate * 10) this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  /** Handles an incoming RTCP datagram; returns false when it is not well-formed RTCP. */
  onRtcp(buf: Buffer): boolean {
    // Checked here, not by the parser: rtp.js throws on short or inconsistent datagrams.
    if (!isWellFormedRtcp(buf)) return false;
    try {
      const compound = new CompoundPacket(nodeBufferToDataView(buf));
      for (const p of compound.getPackets()) {
        if (p instanceof SenderReportPacket) {
          this.lastSrNtpMiddle = ((p.getNtpSeconds() & 0xffff) << 16) | (p.getNtpFraction() >>> 16);
          this.lastSrAtMs = Date.now();
        }
        if (p instanceof SenderReportPacket || p instanceof ReceiverReportPacket) {
          for (const r of p.getReports())
            if (r.getSsrc() === this.localSsrc) {
              this.remoteFractionLost = r.getFractionLost() / 256;
              this.onLossReport?.(this.remoteFractionLost);
            }
        }
        this.reportsReceived++;
      }
    } catch {
      // A malformed report only costs us its statistics.
    }
    return true;
  }

  /** SR when we sent since the last report, RR otherwise. */
  build(): Buffer {
    const compound = new CompoundPacket();
    const reports: ReceptionReport[] = [];
    if (this.remoteSsrc !== undefined) {
      const rr = new ReceptionReport();
      const extMax = this.cycles + this.maxSeq;
      const expected = extMax - this.baseSeq + 1;
      const lost = Math.max(0, expected - this.packetsReceived);
      const expectedInterval = expected - this.expectedPrior;
      const receivedInterval = this.packetsReceived - this.receivedPrior;
      this.expectedPrior = expected;
      this.receivedPrior = this.packetsReceived;
      const lostInterval = expectedInterval - receivedInterval;
      rr.setSsrc(this.remoteSsrc);
      rr.setFractionLost(
        expectedInterval > 0 && lostInterval > 0 ? Math.min(255, Math.floor((lostInterval << 8) / expectedInterval)) : 0,
      );
      rr.setTotalLost(Math.min(lost, 0x7fffff));
      rr.setHighestSeqNumber(extMax >>> 0);
      rr.setJitter(Math.floor(this.jitter) >>> 0);
      rr.setLastSRTimestamp(this.lastSrNtpMiddle >>> 0);
      rr.setDelaySinceLastSR(this.lastSrAtMs ? Math.floor(((Date.now() - this.lastSrAtMs) / 1000) * 65536) >>> 0 : 0);
      reports.push(rr);
    }
    const now = Date.now();
    if (this.packetsSent > 0 && now - this.lastSentAtMs < 10000) {
      const sr = new SenderReportPacket();
      sr.setSsrc(this.localSsrc);
      const secs = now / 1000 + NTP_EPOCH_OFFSET;
      sr.setNtpSeconds(Math.floor(secs) >>> 0);
      sr.setNtpFraction(Math.floor((secs % 1) * 0x100000000) >>> 0);
      const ts = this.lastSentTimestamp + Math.round(((now - this.lastSentAtMs) * this.clockRate) / 1000);
      sr.setRtpTimestamp(ts >>> 0);
      sr.setPacketCount(this.packetsSent >>> 0);
      sr.setOctetCount(this.octetsSent >>> 0);
      for (const r of reports) sr.addReport(r);
      compound.addPacket(sr);
    } else {
      const rr = new ReceiverReportPacket();
      rr.setSsrc(this.localSsrc);
      for (const r of reports) rr.addReport(r);
      compound.addPacket(rr);
    }
    compound.serialize();
    return Buffer.from(dataViewToNodeBuffer(compound.getView()));
  }
}
