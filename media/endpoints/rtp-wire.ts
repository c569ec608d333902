/**
 * Checks and reads RTP and RTCP datagrams as they come off the wire, before any library sees
 * them. A UDP port is open to anyone: a datagram of any length or content must cost a few
 * comparisons and end in a drop, never in an exception (RFC 3550 appendix A.1 and A.2 checks).
 */
import type { RtpPacketInfo } from '../types.js';

const RTP_HEADER = 12;
const RTCP_HEADER = 4;
/** Sender SSRC after the common header: the shortest meaningful RTCP packet is 8 bytes. */
const RTCP_MIN = 8;

/**
 * Reads an RTP packet's header, or returns undefined when the datagram is not well-formed RTP
 * (short, wrong version, CSRC list, extension or padding running past the end). The payload is
 * a view into `buf`, not a copy.
 */
export function readRtp(buf: Buffer): RtpPacketInfo | undefined {
  const len = buf.length;
  if (len < RTP_HEADER) return undefined;
  const b0 = buf[0];
  if (b0 >> 6 !== 2) return undefined;
  let offset = RTP_HEADER + 4 * (b0 & 0x0f);
  if (b0 & 0x10) {
    if (offset + 4 > len) return undefined;
    offset += 4 + 4 * buf.readUInt16BE(offset + 2);
  }
  let end = len;
  if (b0 & 0x20) {
    const pad = buf[len - 1];
    if (pad === 0) return undefined;
    end -= pad;
  }
  if (offset > end) return undefined;
  const b1 = buf[1];
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset, end),
  };
}

/** The padding count closing an RTP packet whose payload starts at `payloadOffset`, or -1 when it runs past the payload. */
export function rtpPadding(packet: Buffer, payloadOffset: number): number {
  const pad = packet.length > payloadOffset ? packet[packet.length - 1] : 0;
  return pad === 0 || pad > packet.length - payloadOffset ? -1 : pad;
}

/** Second byte of an RTCP packet (payload type 192..223 per RFC 5761), i.e. not RTP on a muxed port. */
export function isRtcpType(b1: number): boolean {
  return b1 >= 192 && b1 <= 223;
}

/**
 * True when `buf` is a well-formed RTCP compound packet: version 2, RTCP packet types, and
 * every packet's length field landing exactly on the next packet or the end.
 */
export function isWellFormedRtcp(buf: Buffer): boolean {
  const len = buf.length;
  if (len < RTCP_MIN || len % 4 !== 0) return false;
  let offset = 0;
  while (offset < len) {
    if (offset + RTCP_HEADER > len) return false;
    if (buf[offset] >> 6 !== 2 || !isRtcpType(buf[offset + 1])) return false;
    offset += (buf.readUInt16BE(offset + 2) + 1) * 4;
  }
  return offset === len;
}
