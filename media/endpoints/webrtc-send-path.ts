/**
 * Our audio's way out on a WebRTC leg: SRTP through the session's transform, then straight onto
 * the nominated ICE pair's UDP socket. werift's own path (RTCDtlsTransport.sendRtp) runs four
 * async functions per packet (a promise and a microtask each), and its UDP transport sends by
 * address through dgram (a lookup and a nextTick per packet). Here: one synchronous send, through
 * the UDP send addon when it is built, else dgram. Anything unusual (no nominated pair yet, a TCP
 * or TURN-over-TLS pair, a host name) goes werift's way.
 */
import type dgram from 'node:dgram';
import type { Logger } from 'pino';
import { SrtpAesCmCipher, type HeaderLike } from './srtp-cipher.js';
import { socketFd, udpNative, type UdpNative } from './udp-native.js';

/** The parts of werift's RTCDtlsTransport and its ICE connection this path reads. */
export interface SrtpTransportLike {
  srtp?: { encrypt(payload: Buffer, header: HeaderLike): Buffer; localContext?: LocalContextLike };
  srtcp?: { encrypt(rtcp: Buffer): Buffer };
  bytesSent: number;
  packetsSent: number;
  iceTransport: { connection: IceConnectionLike };
  sendRtp(payload: Buffer, header: unknown): Promise<unknown>;
}
/** werift's SRTP context of our side: the transform, and the rollover counter per SSRC. */
interface LocalContextLike {
  cipher: unknown;
  getSrtpSsrcState(ssrc: number): { rolloverCounter: number };
  updateRolloverCount(seq: number, state: { rolloverCounter: number }): void;
}
interface IceConnectionLike {
  nominated?: CandidatePairLike;
  canSendApplicationData(): boolean;
}
interface CandidatePairLike {
  remoteAddr: readonly [string, number];
  protocol: { transport: { type: string; closed?: boolean; socket?: dgram.Socket } };
  packetsSent: number;
  bytesSent: number;
}

const ECONNREFUSED = 111;
/** Above any Opus packet (1275 bytes) with its header and tag. */
const MAX_SRTP = 2048;

/**
 * A 12-byte RTP header (no CSRCs, no extensions) that serializes into one reused buffer: every
 * SRTP transform copies the header into its output before returning.
 */
export class OutboundRtpHeader implements HeaderLike {
  payloadType = 0;
  sequenceNumber = 0;
  timestamp = 0;
  ssrc = 0;
  marker = false;
  readonly padding = false;
  paddingSize = 0;
  readonly payloadOffset = 12;
  readonly serializeSize = 12;
  readonly extension = false;
  readonly csrcLength = 0;
  readonly csrc: number[] = [];
  readonly extensions: never[] = [];
  readonly version = 2;
  private readonly buf = Buffer.alloc(12);

  serialize(): Buffer {
    const b = this.buf;
    b[0] = 0x80;
    b[1] = (this.marker ? 0x80 : 0) | (this.payloadType & 0x7f);
    b.writeUInt16BE(this.sequenceNumber & 0xffff, 2);
    b.writeUInt32BE(this.timestamp >>> 0, 4);
    b.writeUInt32BE(this.ssrc >>> 0, 8);
    return b;
  }
}

/** The open UDP socket of a nominated pair; undefined for none, TCP or TURN over TLS. */
function udpSocketOf(pair: CandidatePairLike | undefined): dgram.Socket | undefined {
  const udp = pair?.protocol.transport;
  return udp && udp.type === 'udp' && !udp.closed ? udp.socket : undefined;
}

export class WebRtcSendPath {
  private pairFor: CandidatePairLike | undefined;
  private fd = -1;
  private addr: Buffer | null = null;
  /** The SRTP packet being sent; reused, since the addon's send is done when it returns. */
  private readonly out = Buffer.allocUnsafeSlow(MAX_SRTP);

  constructor(
    private readonly log: Logger,
    /** null: dgram only (tests of that path). */
    private readonly native: UdpNative | null = udpNative ?? null,
  ) {}

  /** 'native', 'dgram' or 'werift': how the last packet left (tests, logs). */
  lastVia: 'native' | 'dgram' | 'werift' | undefined;

  send(transport: SrtpTransportLike, header: OutboundRtpHeader, payload: Buffer): void {
    const srtp = transport.srtp;
    const pair = transport.iceTransport.connection.nominated;
    const socket = srtp ? udpSocketOf(pair) : undefined;
    if (!srtp || !pair || !socket) {
      this.viaWerift(transport, header, payload);
      return;
    }
    if (!transport.iceTransport.connection.canSendApplicationData()) return; // werift would drop it too
    if (pair !== this.pairFor) this.adopt(pair, socket);
    const ctx = srtp.localContext;
    let packet: Buffer;
    if (this.native && this.addr && this.fd >= 0 && ctx?.cipher instanceof SrtpAesCmCipher && payload.length + 64 <= MAX_SRTP) {
      // werift's context keeps the rollover counter; the transform writes into our buffer
      const state = ctx.getSrtpSsrcState(header.ssrc);
      ctx.updateRolloverCount(header.sequenceNumber, state);
      const head = header.serialize();
      const n = ctx.cipher.protectInto(this.out, head, header.ssrc, header.sequenceNumber, payload, state.rolloverCounter);
      packet = this.out.subarray(0, n);
    } else {
      packet = srtp.encrypt(payload, header);
    }
    this.transmit(transport, pair, socket, packet);
  }

  /**
   * One RTCP compound, SRTCP-protected by the session (werift's SRTCP index), onto the same pair;
   * dropped while there is no UDP pair to send it on (the next report follows within a second or two).
   */
  sendRtcp(transport: SrtpTransportLike, rtcp: Buffer): void {
    const pair = transport.iceTransport.connection.nominated;
    const socket = udpSocketOf(pair);
    if (!transport.srtcp || !pair || !socket || !transport.iceTransport.connection.canSendApplicationData()) return;
    if (pair !== this.pairFor) this.adopt(pair, socket);
    this.transmit(transport, pair, socket, transport.srtcp.encrypt(rtcp));
  }

  private transmit(transport: SrtpTransportLike, pair: CandidatePairLike, socket: dgram.Socket, packet: Buffer): void {
    if (this.native && this.addr && this.fd >= 0) {
      const r = this.native.send(this.fd, packet, null, this.addr);
      if (r < 0 && r !== -ECONNREFUSED) this.log.debug({ errno: -r }, 'SRTP not sent');
      this.lastVia = 'native';
    } else {
      try {
        // dgram sends later: a packet in our reused buffer is copied first
        socket.send(packet.buffer === this.out.buffer ? Buffer.from(packet) : packet, pair.remoteAddr[1], pair.remoteAddr[0]);
      } catch (err) {
        this.log.debug({ err }, 'SRTP not sent');
      }
      this.lastVia = 'dgram';
    }
    transport.bytesSent += packet.length;
    transport.packetsSent++;
    pair.bytesSent += packet.length;
    pair.packetsSent++;
  }

  /** A new nominated pair (ICE restart, a better pair): its socket and address, looked up once. */
  private adopt(pair: CandidatePairLike, socket: dgram.Socket): void {
    this.pairFor = pair;
    this.fd = this.native ? socketFd(socket) : -1;
    this.addr = this.native && this.fd >= 0 ? this.native.sockaddr(pair.remoteAddr[0], pair.remoteAddr[1]) : null;
  }

  private viaWerift(transport: SrtpTransportLike, header: OutboundRtpHeader, payload: Buffer): void {
    this.lastVia = 'werift';
    // werift's path serializes later, after an await: it gets a header of its own.
    const own = Object.assign(new OutboundRtpHeader(), {
      payloadType: header.payloadType,
      sequenceNumber: header.sequenceNumber,
      timestamp: header.timestamp,
      ssrc: header.ssrc,
      marker: header.marker,
    });
    transport.sendRtp(payload, own).catch((err: unknown) => this.log.debug({ err }, 'send failed'));
  }
}
