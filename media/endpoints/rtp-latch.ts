/**
 * Symmetric RTP (RFC 4961 style, as SBCs do it for NAT): we send to where the remote's packets
 * really come from. Only a source that sent PROBATION packets in sequence qualifies, and once
 * latched another source takes over only after the latched one went quiet, so stray or injected
 * packets cannot hijack a call.
 */
import type { RtpPacketInfo } from '../types.js';

export interface NetAddress {
  address: string;
  port: number;
}

/** In-sequence packets a source must send before we send to it. */
const PROBATION = 3;
/** Silence from the latched source after which packets from elsewhere may take over. */
export const RELATCH_AFTER_MS = 1000;

export class SymmetricLatch {
  rtp: NetAddress | undefined;
  rtcp: NetAddress | undefined;
  private latched = false;
  private rtcpMux = false;
  private candidate: { address: string; port: number; ssrc: number; seq: number; count: number } | undefined;

  /** A source proved itself and `rtp` is where it sends from. */
  get isLatched(): boolean {
    return this.latched;
  }

  /** Where the SDP says to send; forgets any earlier latch. */
  reset(rtp: NetAddress, rtcp: NetAddress, rtcpMux: boolean): void {
    this.rtp = rtp;
    this.rtcp = rtcp;
    this.rtcpMux = rtcpMux;
    this.latched = false;
    this.candidate = undefined;
  }

  /** False when the packet comes from a source we do not listen to. */
  accept(info: RtpPacketInfo, from: NetAddress, nowMs: number, lastRxMs: number): boolean {
    const cur = this.rtp;
    if (this.latched && cur && cur.address === from.address && cur.port === from.port) return true;
    const c = this.candidate;
    if (
      c &&
      c.address === from.address &&
      c.port === from.port &&
      c.ssrc === info.ssrc &&
      ((info.sequenceNumber - c.seq) & 0xffff) === 1
    ) {
      c.seq = info.sequenceNumber;
      c.count++;
    } else {
      this.candidate = { address: from.address, port: from.port, ssrc: info.ssrc, seq: info.sequenceNumber, count: 1 };
    }
    if (this.latched && nowMs - lastRxMs < RELATCH_AFTER_MS) return false;
    const cand = this.candidate;
    if (cand && cand.count >= PROBATION) {
      this.rtp = { address: cand.address, port: cand.port };
      this.rtcp = { address: cand.address, port: this.rtcpMux ? cand.port : cand.port + 1 };
      this.latched = true;
      this.candidate = undefined;
      return true;
    }
    // Before any source proved itself, audio from anywhere is played (the SDP address may be stale).
    return !this.latched;
  }
}
