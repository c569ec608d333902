/**
 * A browser's audio into the endpoint once ICE and DTLS are up: SRTP read off the nominated pair's
 * socket (through the thread's batch receiver when there is one), authenticated and decrypted with
 * the session's transform, and handed over as one RtpPacketInfo.
 *
 * werift's way, per packet: dgram's callback, then five nested events (socket, ICE, DTLS, router,
 * track), each also starting an async function, a header parse into objects, a per-packet SSRC
 * state copy, statistics. At 40 calls that chain cost more CPU than decoding the audio.
 *
 * Only the SSRC werift already delivered on this socket is taken, and only with our SRTP transform
 * installed; everything else (STUN consent checks, DTLS, SRTCP, other SSRCs) goes to werift's
 * listener as before, and SRTCP to `rtcpSink` once the leg's own RTCP is set (webrtc-rtcp.ts).
 * werift's counters stay true (the transport's and the pair's), and on release its rollover counter,
 * so that werift can carry on where this path stopped.
 */
import type dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { RtpPacketInfo } from '../types.js';
import type { BatchReceiver, Registration } from './udp-receive.js';
import type { HeaderLike } from './srtp-cipher.js';
import { SrtpAesCmCipher } from './srtp-cipher.js';
import { SrtpAesGcmCipher } from './srtp-gcm-cipher.js';
import { SrtpInboundIndex } from './srtp-index.js';
import { isRtcpType } from './rtp-wire.js';
import { resumeDgramReading } from './udp-native.js';

interface SsrcStateLike {
  rolloverCounter: number;
  lastSequenceNumber: number;
}
/** werift's SRTP context of the remote side: its transform and per-SSRC rollover state. */
interface RemoteContextLike {
  cipher: unknown;
  srtpSSRCStates: Record<number, SsrcStateLike | undefined>;
}
interface CandidatePairLike {
  protocol: { transport: { type: string; closed?: boolean; socket?: dgram.Socket } };
  packetsReceived: number;
  bytesReceived: number;
}
/** The parts of werift's RTCDtlsTransport this path reads and counts into. */
export interface SrtpReceiveTransportLike {
  srtp?: { remoteContext?: RemoteContextLike };
  bytesReceived: number;
  packetsReceived: number;
  iceTransport: { connection: { nominated?: CandidatePairLike } };
}
/** Reception statistics of what this path delivers (RFC 3550 appendix A.3, A.8): the leg's RTCP reports them. */
export interface ReceptionStats {
  onReceived(ssrc: number, seq: number, timestamp: number, nowMs: number): void;
}

type SessionCipher = SrtpAesCmCipher | SrtpAesGcmCipher;
type MessageListener = (msg: Buffer, rinfo: dgram.RemoteInfo) => void;

/** The header fields a transform reads to decrypt, reused for every packet. */
class InboundHeader implements HeaderLike {
  ssrc = 0;
  sequenceNumber = 0;
  padding = false;
  paddingSize = 0;
  payloadOffset = 12;
  serializeSize = 12;
  serialize(): Buffer {
    throw new Error('an inbound header is not serialized');
  }
}

export class SrtpReceivePath {
  private socket: dgram.Socket | undefined;
  private registration: Registration | undefined;
  private weriftListeners: MessageListener[] = [];
  private ownListener: MessageListener | undefined;
  private transport: SrtpReceiveTransportLike | undefined;
  private pair: CandidatePairLike | undefined;
  private context: RemoteContextLike | undefined;
  private cipher: SessionCipher | undefined;
  private tagLength = 0;
  private stats: ReceptionStats | undefined;
  private index: SrtpInboundIndex | undefined;
  private ssrc = -1;
  private readonly header = new InboundHeader();
  /** Where SRTCP goes while this path holds the socket; unset, werift's listener has it. */
  rtcpSink: ((packet: Buffer) => void) | undefined;
  /** Packets refused: a replayed or too old index, or failed authentication (a forgery, a stale key). */
  readonly refused = { replayed: 0, unauthenticated: 0, malformed: 0 };

  constructor(
    private readonly log: Logger,
    /** null: read through dgram (a listener in werift's place). */
    private readonly receiver: BatchReceiver | null,
    private readonly sink: (packet: RtpPacketInfo) => void,
  ) {}

  /** True while a socket is read this way. */
  get active(): boolean {
    return this.socket !== undefined;
  }

  /** True while `ssrc` on the transport's nominated pair comes this way. */
  holds(transport: SrtpReceiveTransportLike, ssrc: number): boolean {
    const pair = transport.iceTransport.connection.nominated;
    return (
      this.socket !== undefined &&
      this.ssrc === ssrc &&
      this.transport === transport &&
      this.pair === pair &&
      this.context === transport.srtp?.remoteContext
    );
  }

  /**
   * Takes `ssrc`'s packets off werift's path, on the socket of the transport's nominated pair.
   * False (and werift keeps them) when there is no UDP pair, the transform is werift's own, or
   * werift has not yet received that SSRC.
   */
  take(transport: SrtpReceiveTransportLike, ssrc: number, stats: ReceptionStats | undefined): boolean {
    if (this.holds(transport, ssrc)) return true;
    this.release();
    const pair = transport.iceTransport.connection.nominated;
    const udp = pair?.protocol.transport;
    const context = transport.srtp?.remoteContext;
    const cipher = context?.cipher;
    const state = context?.srtpSSRCStates[ssrc];
    if (!pair || !udp || udp.type !== 'udp' || !udp.socket || udp.closed || !context || !state) return false;
    if (!(cipher instanceof SrtpAesCmCipher || cipher instanceof SrtpAesGcmCipher)) return false;
    const socket = udp.socket;
    this.weriftListeners = socket.listeners('message') as MessageListener[];
    this.registration = this.receiver?.add(socket, (msg, from) => this.onDatagram(msg, from.address, from.port));
    if (!this.registration) {
      this.ownListener = (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port, rinfo);
      for (const l of this.weriftListeners) socket.off('message', l);
      socket.on('message', this.ownListener);
    }
    // werift closes its sockets itself (ICE restart, close): out of the batch receiver first, since a
    // closed descriptor's number is reused by the next socket.
    Object.defineProperty(socket, 'close', {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        this.release();
        return (socket.close as (...a: unknown[]) => dgram.Socket).apply(socket, args);
      },
    });
    this.socket = socket;
    this.transport = transport;
    this.pair = pair;
    this.context = context;
    this.cipher = cipher;
    this.tagLength = cipher instanceof SrtpAesCmCipher ? cipher.authTagLength : cipher.aeadAuthTagLen;
    this.stats = stats;
    this.index = new SrtpInboundIndex(state.rolloverCounter, state.lastSequenceNumber);
    this.ssrc = ssrc;
    this.log.debug({ ssrc, batch: this.registration !== undefined }, 'SRTP receive path taken over');
    return true;
  }

  /** Hands the socket back to werift (with the rollover state reached); safe to call twice. */
  release(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    delete (socket as { close?: unknown }).close; // the prototype's again
    if (this.registration) {
      this.registration.remove();
      this.registration = undefined;
      resumeDgramReading(socket);
    }
    if (this.ownListener) {
      socket.off('message', this.ownListener);
      for (const l of this.weriftListeners) socket.on('message', l);
      this.ownListener = undefined;
    }
    const state = this.context?.srtpSSRCStates[this.ssrc];
    if (state && this.index) {
      state.rolloverCounter = this.index.roc;
      state.lastSequenceNumber = this.index.lastSequence;
    }
    this.weriftListeners = [];
    this.rtcpSink = undefined;
    this.transport = this.pair = this.context = this.cipher = this.stats = this.index = undefined;
    this.ssrc = -1;
  }

  private onDatagram(msg: Buffer, address: string, port: number, rinfo?: dgram.RemoteInfo): void {
    if (msg.length >= 12 && msg[0] >> 6 === 2 && this.transport?.srtp?.remoteContext === this.context) {
      if (!isRtcpType(msg[1])) {
        if (msg.readUInt32BE(8) === this.ssrc) return this.onSrtp(msg);
      } else if (this.rtcpSink) {
        return this.rtcpSink(msg);
      }
    }
    const info = rinfo ?? { address, port, family: address.includes(':') ? 'IPv6' : 'IPv4', size: msg.length };
    const listeners = this.weriftListeners;
    // a rekeyed session (a new DTLS handshake) is werift's again, for good
    if (this.transport && this.transport.srtp?.remoteContext !== this.context) this.release();
    // werift's listeners, as the socket would have called them
    for (const l of listeners) l(msg, info);
  }

  private onSrtp(msg: Buffer): void {
    const len = msg.length;
    const b0 = msg[0];
    let offset = 12 + 4 * (b0 & 0x0f);
    if (b0 & 0x10) {
      if (offset + 4 > len) return this.malformed();
      offset += 4 + 4 * msg.readUInt16BE(offset + 2);
    }
    if (offset + this.tagLength > len) return this.malformed();
    const seq = msg.readUInt16BE(2);
    const index = this.index!.estimate(seq);
    if (index < 0) {
      this.refused.replayed++;
      return;
    }
    const h = this.header;
    h.ssrc = this.ssrc;
    h.sequenceNumber = seq;
    h.padding = (b0 & 0x20) !== 0;
    h.payloadOffset = offset;
    let plain: Buffer;
    try {
      plain = this.cipher!.unprotect(msg, Math.floor(index / 0x10000), h);
    } catch {
      this.refused.unauthenticated++;
      return;
    }
    this.index!.accept(index);
    const t = this.transport!;
    t.bytesReceived += len;
    t.packetsReceived++;
    const pair = this.pair!;
    pair.packetsReceived++;
    pair.bytesReceived += len;
    const b1 = msg[1];
    const timestamp = msg.readUInt32BE(4);
    const payload = plain.subarray(offset, plain.length - h.paddingSize);
    this.stats?.onReceived(this.ssrc, seq, timestamp, Date.now());
    this.sink({ payloadType: b1 & 0x7f, marker: (b1 & 0x80) !== 0, sequenceNumber: seq, timestamp, ssrc: this.ssrc, payload });
  }

  private malformed(): void {
    this.refused.malformed++;
  }
}
