/**
 * RTCP of a WebRTC leg once our SRTP path reads the browser's audio: reports built by the same
 * RtcpReporter as an RTP leg's (RFC 3550 statistics of what our path received, the sender info of
 * what we sent) and the browser's reports read by it (the loss it sees feeds our FEC, its sender
 * report the LSR/DLSR of ours).
 *
 * werift's RTCP for one call, about four packets a second, ran through code too rarely called to be
 * optimised: its sender's and receiver's report loops (a promise chain, a BigInt NTP time, dgram
 * with an address lookup per send) and, per received report, the socket/ICE/DTLS/router events,
 * each starting an async function. At 40 calls that was a tenth of the process's CPU.
 *
 * werift's two report loops are stopped for the rest of the call (its receiver's statistics no
 * longer see the packets our path takes, so its reports would be wrong); its SRTCP session still
 * protects and checks every packet, keeping the SRTCP index.
 */
import type { Logger } from 'pino';
import { RtcpReporter } from './rtcp-reporter.js';

/** werift's RTCRtpSender / RTCRtpReceiver: the report loop each runs. */
interface ReportLoopLike {
  rtcpRunning?: boolean;
  rtcpCancel?: { abort(): void };
  runRtcp(): Promise<void>;
}
interface SrtcpLike {
  decrypt(packet: Buffer): Buffer;
}

/** RFC 3550 §6.2 for a two-party session: about once a second, randomised by ±50 %. */
const MEAN_INTERVAL_MS = 1000;

export class WebRtcRtcp {
  readonly reporter: RtcpReporter;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** werift's report loops are stopped: the leg's reports are ours. */
  tookOver = false;

  constructor(
    private readonly log: Logger,
    localSsrc: number,
    /** Protects and sends a compound (dropped while there is no pair to send it on). */
    private readonly send: (rtcp: Buffer) => void,
    onLossReport: (fractionLost: number) => void,
  ) {
    this.reporter = new RtcpReporter(localSsrc);
    this.reporter.setClockRate(48000);
    this.reporter.onLossReport = onLossReport;
  }

  /** Stops werift's report loops for good and starts ours. */
  takeOver(loops: ReportLoopLike[]): void {
    if (this.closed || this.tookOver) return;
    this.tookOver = true;
    for (const loop of loops) {
      loop.rtcpRunning = false;
      loop.rtcpCancel?.abort();
      // werift restarts a loop on renegotiation; this one stays ours
      loop.runRtcp = async () => undefined;
    }
    this.schedule();
  }

  /** A datagram of the browser's that is RTCP (RFC 5761 demultiplexing); one that does not authenticate is dropped. */
  onSrtcp(packet: Buffer, srtcp: SrtcpLike | undefined): void {
    let plain: Buffer;
    try {
      if (!srtcp) return;
      plain = srtcp.decrypt(packet);
    } catch {
      return;
    }
    this.reporter.onRtcp(plain);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.report(), MEAN_INTERVAL_MS * (0.5 + Math.random()));
    this.timer.unref();
  }

  private report(): void {
    if (this.closed) return;
    try {
      this.send(this.reporter.build());
    } catch (err) {
      this.log.debug({ err }, 'RTCP report not sent');
    }
    this.schedule();
  }
}
