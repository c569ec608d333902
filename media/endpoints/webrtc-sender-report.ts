/**
 * Keeps werift's RTCP sender reports right while our audio bypasses its RTCRtpSender.sendRtp.
 * That method does video work on every packet: an NTP time built as a BigInt through strings,
 * header-extension mapping, a retransmission cache and bandwidth-estimation records, inside one
 * more promise. Audio goes straight to the SRTP transport instead, and this feeds the fields the
 * sender's report loop reads: RTP timestamp, packet and octet counts, and the NTP time of the
 * last packet, converted only when a report is built (about once a second).
 */

/** The fields of werift's RTCRtpSender its sender-report loop reads, and the loop itself. */
export interface ReportingSender {
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  ntpTimestamp: bigint;
  runRtcp(): Promise<void>;
}

const NTP_UNIX_OFFSET_S = 2208988800;

/** 64-bit NTP time (RFC 3550 §4) of a wall-clock instant in ms since 1970. */
export function ntpFromEpochMs(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds + NTP_UNIX_OFFSET_S) << 32n) | BigInt(fraction >>> 0);
}

export class SenderReportFeed {
  private lastSentAtMs = 0;
  private started = false;

  constructor(private readonly sender: ReportingSender) {
    // Read when a report is built; written by werift's own sendRtp, which we no longer call.
    Object.defineProperty(sender, 'ntpTimestamp', {
      configurable: true,
      enumerable: true,
      get: () => (this.lastSentAtMs === 0 ? 0n : ntpFromEpochMs(this.lastSentAtMs)),
      set: () => undefined,
    });
  }

  /** One audio packet went out with this RTP timestamp and payload size. */
  sent(rtpTimestamp: number, payloadBytes: number): void {
    const s = this.sender;
    s.rtpTimestamp = rtpTimestamp;
    s.octetCount += payloadBytes;
    s.packetCount = (s.packetCount + 1) >>> 0;
    this.lastSentAtMs = performance.timeOrigin + performance.now();
    if (!this.started) {
      this.started = true;
      void s.runRtcp();
    }
  }
}
