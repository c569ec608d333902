/**
 * A call leg that speaks plain RTP/AVP over UDP: an even/odd port pair from the configured range,
 * symmetric RTP (we send to wherever the remote's packets really come from), RTCP reports,
 * decoding only while someone listens for audio, and RFC 4733 or in-band DTMF.
 */
import { EventEmitter } from 'node:events';
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type {
  AudioFrame,
  CodecName,
  CodecSpec,
  DtmfEvent,
  MediaPortEvents,
  NegotiatingEndpoint,
  RtpPacketInfo,
  SdpOptions,
} from '../types.js';
import { SdpNegotiationError } from '../types.js';
import { createEncoder, Resampler, type AudioEncoder } from '../codecs/index.js';
import { Rfc4733Receiver, InbandDtmfDetector } from '../dtmf.js';
import {
  acceptAnswer,
  buildSdp,
  negotiateAnswer,
  offerCodecs,
  opusRateParams,
  parseMediaDescription,
  type Direction,
  type NegotiatedMedia,
} from '../sdp.js';
import type { EndpointContext } from './context.js';
import { RtcpReporter } from './rtcp-reporter.js';
import { FecLossTracker } from './fec-loss.js';
import { RtpSender } from './rtp-sender.js';
import { RELATCH_AFTER_MS, SymmetricLatch, type NetAddress } from './rtp-latch.js';
import { RtpSendPath } from './rtp-send-path.js';
import { InboundAudio } from './inbound-audio.js';
import { Packetizer, sendPtime } from './packetizer.js';
import { ForwardGate } from './forward-gate.js';
import { isRtcpType, readRtp } from './rtp-wire.js';
import { batchReceiver, type BatchReceiver, type Registration } from './udp-receive.js';

export interface RtpEndpointOptions {
  /** No RTP for this long while the remote should send -> `failed`. */
  rtpTimeoutMs?: number;
  /** Detect DTMF tones in the audio when the remote did not negotiate telephone-event. */
  inbandDtmf?: boolean;
  rtcpIntervalMs?: number;
  /** How RTP is read: the thread's batch receiver when there is one (default), or null for dgram. */
  receiver?: BatchReceiver | null;
}

const MAX_BIND_ATTEMPTS = 16;

function bindSocket(sock: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    sock.once('error', onError);
    sock.bind(port, address, () => {
      sock.off('error', onError);
      resolve();
    });
  });
}

export class RtpEndpoint extends EventEmitter<MediaPortEvents> implements NegotiatingEndpoint {
  readonly kind = 'rtp' as const;
  readonly id: string;
  private readonly ctx: EndpointContext;
  private readonly log: Logger;
  private readonly opts: Required<Omit<RtpEndpointOptions, 'receiver'>>;
  private readonly receiver: BatchReceiver | null;
  /** The RTP socket's place in the batch receiver; undefined while dgram reads it. */
  private rtpReg: Registration | undefined;
  private rtpSock: dgram.Socket | undefined;
  private rtcpSock: dgram.Socket | undefined;
  private sendPath: RtpSendPath | undefined;
  private localPort = 0;
  private negotiated: NegotiatedMedia | undefined;
  private offered: CodecSpec[] | undefined;
  /** Kept for re-offers (hold, resume), which are answered without options. */
  private maxPlaybackRate: SdpOptions['maxPlaybackRate'];
  private sdpVersion = 0;
  private readonly sessionId = randomInt(1, 2 ** 31);
  private readonly latch = new SymmetricLatch();
  private readonly inbound: InboundAudio;
  private readonly sender: RtpSender;
  private readonly reporter: RtcpReporter;
  private dtmfReceiver: Rfc4733Receiver | undefined;
  private inband: InbandDtmfDetector | undefined;
  private encoder: AudioEncoder | undefined;
  /** RTCP is optional in SIP: until the far end reports, FEC expects 5 % loss. */
  private readonly fecLoss = new FecLossTracker(5);
  private resampler: Resampler | undefined;
  /** Packet time the peer asked for; our 20 ms frames are re-cut to it. */
  private ptimeMs = 20;
  private packetizer: Packetizer | undefined;
  private _pcmRate = 8000;
  private readonly forwardGate = new ForwardGate();
  private lastRxMs = 0;
  private failed = false;
  private _closed = false;
  private timer: NodeJS.Timeout | undefined;
  private rtcpTimer: NodeJS.Timeout | undefined;

  constructor(ctx: EndpointContext, opts: RtpEndpointOptions = {}) {
    super();
    this.ctx = ctx;
    this.id = ctx.id;
    this.log = ctx.logger ?? pino({ level: 'silent' });
    this.opts = {
      rtpTimeoutMs: opts.rtpTimeoutMs ?? 30000,
      inbandDtmf: opts.inbandDtmf ?? true,
      rtcpIntervalMs: opts.rtcpIntervalMs ?? 5000,
    };
    this.receiver = opts.receiver === undefined ? batchReceiver() : opts.receiver;
    const ssrc = randomInt(1, 2 ** 32 - 1);
    this.reporter = new RtcpReporter(ssrc);
    this.reporter.onLossReport = (fraction) => this.fecLoss.follow(fraction, this.encoder);
    this.sender = new RtpSender(ssrc, (head, payload) => this.sendDatagram(head, payload), this.reporter);
    this.inbound = new InboundAudio(this.log, {
      maxDelayMs: ctx.jitterBufferMs ?? 60,
      format: () => (this.negotiated ? { codec: this.negotiated.codec, pcmRate: this._pcmRate } : undefined),
      onFrame: this.onFrame,
    });
  }

  get closed(): boolean {
    return this._closed;
  }
  get codec(): CodecSpec | undefined {
    return this.negotiated?.codec;
  }
  get pcmRate(): number {
    return this._pcmRate;
  }
  get port(): number {
    return this.localPort;
  }
  get telephoneEvent(): CodecSpec | undefined {
    return this.negotiated?.telephoneEvent;
  }
  get sending(): boolean {
    return this.negotiated?.canSend ?? false;
  }
  get remoteAddress(): NetAddress | undefined {
    return this.latch.rtp;
  }

  /** Opus legs run their codec at 8 kHz while the other leg is narrowband (see ARCHITECTURE). */
  setPcmRate(rate: 48000 | 8000): void {
    if (this.codec?.name !== 'opus' || rate === this._pcmRate) return;
    this._pcmRate = rate;
    this.inbound.reset();
    this.encoder?.close();
    this.encoder = undefined;
  }

  /** Binds the RTP/RTCP pair; retries the next pair when a port is taken by someone else. */
  async open(): Promise<void> {
    if (this.rtpSock) return;
    for (let attempt = 0; attempt < MAX_BIND_ATTEMPTS; attempt++) {
      const port = this.ctx.ports.allocate();
      const rtp = dgram.createSocket({ type: this.ctx.address.includes(':') ? 'udp6' : 'udp4' });
      const rtcp = dgram.createSocket({ type: this.ctx.address.includes(':') ? 'udp6' : 'udp4' });
      try {
        await bindSocket(rtp, port, this.ctx.address);
        await bindSocket(rtcp, port + 1, this.ctx.address);
      } catch (err) {
        rtp.close();
        rtcp.close();
        this.ctx.ports.release(port);
        this.log.debug({ port, err }, 'RTP port busy, trying the next pair');
        continue;
      }
      if (this._closed) {
        rtp.close();
        rtcp.close();
        this.ctx.ports.release(port);
        throw new Error('endpoint closed');
      }
      this.localPort = port;
      this.rtpSock = rtp;
      this.rtcpSock = rtcp;
      this.sendPath = new RtpSendPath(rtp, this.log);
      this.rtpReg = this.receiver?.add(rtp, this.onDatagram);
      if (!this.rtpReg) rtp.on('message', this.onDatagram);
      rtcp.on('message', (msg) => this.reporter.onRtcp(msg));
      rtp.on('error', (err) => this.onSocketError(err, 'RTP socket error'));
      rtcp.on('error', (err) => this.onSocketError(err, 'RTCP socket error'));
      this.timer = setInterval(() => this.onTick(), 100);
      this.rtcpTimer = setInterval(() => this.sendRtcp(), this.opts.rtcpIntervalMs);
      return;
    }
    throw new Error('could not bind an RTP port pair');
  }

  async answer(offerSdp: string, opts?: SdpOptions): Promise<string> {
    this.assertOpen();
    await this.open();
    const offer = parseMediaDescription(offerSdp);
    const n = negotiateAnswer(offer);
    if (opts?.maxPlaybackRate) this.maxPlaybackRate = opts.maxPlaybackRate;
    this.adopt(n);
    const answerCodecs: CodecSpec[] = [
      { ...n.codec, params: n.codec.name === 'opus' ? { stereo: 0, ...opusRateParams(this.maxPlaybackRate) } : undefined },
    ];
    if (n.telephoneEvent) answerCodecs.push({ ...n.telephoneEvent, params: { '0-16': '' } });
    return this.localSdp(answerCodecs, n.localDirection, offer.rtcpMux);
  }

  async createOffer(opts?: { codecs?: CodecName[]; direction?: Direction } & SdpOptions): Promise<string> {
    this.assertOpen();
    await this.open();
    if (opts?.maxPlaybackRate) this.maxPlaybackRate = opts.maxPlaybackRate;
    this.offered = offerCodecs(opts?.codecs).map((c) =>
      c.name === 'opus' ? { ...c, params: { ...c.params, ...opusRateParams(this.maxPlaybackRate) } } : c,
    );
    return this.localSdp(this.offered, opts?.direction ?? 'sendrecv');
  }

  async setRemoteAnswer(answerSdp: string): Promise<void> {
    this.assertOpen();
    if (!this.offered) throw new SdpNegotiationError('no local offer outstanding');
    this.adopt(acceptAnswer(parseMediaDescription(answerSdp), this.offered));
  }

  injectDtmf(event: DtmfEvent): void {
    if (!this._closed) this.emit('dtmf', event);
  }

  sendRtp(packet: RtpPacketInfo): void {
    const codec = this.negotiated?.codec;
    if (!codec || !this.negotiated?.canSend || this._closed) return;
    this.sender.forward(packet, codec.payloadType);
  }

  sendAudio(frame: AudioFrame): void {
    const codec = this.negotiated?.codec;
    if (!codec || !this.negotiated?.canSend || this._closed) return;
    let samples = frame.samples;
    if (frame.sampleRate !== this._pcmRate) {
      if (!this.resampler || this.resampler.fromRate !== frame.sampleRate || this.resampler.toRate !== this._pcmRate) {
        this.resampler = new Resampler(frame.sampleRate, this._pcmRate);
      }
      samples = this.resampler.process(samples);
    }
    const perPacket = (this._pcmRate * this.ptimeMs) / 1000;
    if (this.packetizer?.samplesPerPacket !== perPacket) this.packetizer = new Packetizer(perPacket);
    this.packetizer.push(samples, this.encodeAndSend);
  }

  private readonly encodeAndSend = (samples: Int16Array): void => {
    const codec = this.negotiated?.codec;
    if (!codec) return;
    if (!this.encoder) {
      this.encoder = createEncoder(codec, { pcmRate: this._pcmRate });
      this.fecLoss.prime(this.encoder);
    }
    const payload = this.encoder.encode(samples);
    this.sender.sendPayload(codec.payloadType, payload, Math.round((samples.length * codec.clockRate) / this._pcmRate));
  };

  sendDtmf(digit: string, durationMs = 100): void {
    const n = this.negotiated;
    if (!n || !n.canSend || this._closed) return;
    if (n.telephoneEvent) this.sender.sendDtmf(n.telephoneEvent, digit, durationMs);
    else this.sender.sendInbandDtmf(digit, durationMs, this._pcmRate, (f) => this.sendAudio(f));
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    clearInterval(this.timer);
    clearInterval(this.rtcpTimer);
    this.sendPath?.close();
    this.sender.close();
    this.inbound.reset();
    this.encoder?.close();
    if (this.rtpSock) {
      // Out of the receiver's epoll set before the descriptor is closed (and maybe reused).
      this.rtpReg?.remove();
      this.rtpSock.close();
      this.rtcpSock?.close();
      this.ctx.ports.release(this.localPort);
    }
    this.emit('closed');
    this.removeAllListeners();
  }

  private assertOpen(): void {
    if (this._closed) throw new Error(`endpoint ${this.id} is closed`);
  }

  private localSdp(codecs: CodecSpec[], direction: Direction, rtcpMux = false): string {
    return buildSdp({
      rtcpMux,
      sessionId: this.sessionId,
      version: this.sdpVersion++,
      address: this.ctx.advertisedAddress,
      port: this.localPort,
      direction,
      codecs,
    });
  }

  private adopt(n: NegotiatedMedia): void {
    const prev = this.negotiated;
    this.negotiated = n;
    const codecChanged = !prev || prev.codec.name !== n.codec.name || prev.codec.payloadType !== n.codec.payloadType;
    if (codecChanged) {
      const keep8k = prev?.codec.name === 'opus' && n.codec.name === 'opus' && this._pcmRate === 8000;
      this._pcmRate = n.codec.name === 'opus' && !keep8k ? 48000 : 8000;
      this.inbound.reset();
      this.encoder?.close();
      this.encoder = undefined;
      this.packetizer?.reset();
      this.reporter.setClockRate(n.codec.clockRate);
      this.sender.setClockRate(n.codec.clockRate);
    }
    this.ptimeMs = sendPtime(n.codec, n.remote.ptime);
    this.dtmfReceiver = n.telephoneEvent ? new Rfc4733Receiver(n.telephoneEvent.clockRate) : undefined;
    this.inband = !n.telephoneEvent && this.opts.inbandDtmf ? new InbandDtmfDetector(8000) : undefined;
    const addrChanged = !prev || prev.remote.address !== n.remote.address || prev.remote.port !== n.remote.port;
    if (addrChanged || !this.latch.rtp) {
      this.sendPath?.unpin();
      this.latch.reset(
        { address: n.remote.address, port: n.remote.port },
        { address: n.remote.address, port: n.remote.rtcpPort },
        n.remote.rtcpMux,
      );
    }
    this.lastRxMs = Date.now();
    this.failed = false;
  }

  private sendDatagram(head: Buffer, payload: Buffer): void {
    const to = this.latch.rtp;
    if (!to || !this.sendPath || to.port === 0) return;
    this.sendPath.send(head, payload, to);
  }

  private onSocketError(err: NodeJS.ErrnoException, msg: string): void {
    // A connected socket hears the ICMP "port unreachable" of a peer that has gone: not our fault.
    if (err.code === 'ECONNREFUSED') this.log.debug({ err }, msg);
    else this.log.warn({ err }, msg);
  }

  private sendRtcp(): void {
    const to = this.latch.rtcp;
    // Multiplexed (RFC 5761): from the RTP port too, where the peer expects all of our traffic.
    const sock = this.negotiated?.remote.rtcpMux ? this.rtpSock : this.rtcpSock;
    if (!to || !sock || this._closed || to.port === 0) return;
    if (this.reporter.packetsSent === 0 && this.reporter.remoteSsrc === undefined) return;
    try {
      sock.send(this.reporter.build(), to.port, to.address);
    } catch (err) {
      this.log.debug({ err }, 'RTCP report not sent');
    }
  }

  private readonly onDatagram = (msg: Buffer, rinfo: NetAddress): void => {
    if (this._closed || !this.negotiated || msg.length < 2) return;
    if (isRtcpType(msg[1])) {
      this.reporter.onRtcp(msg); // rtcp-mux
      return;
    }
    const info = readRtp(msg);
    if (!info) return;
    const n = this.negotiated;
    const isAudio = info.payloadType === n.codec.payloadType;
    const isDtmf = n.telephoneEvent !== undefined && info.payloadType === n.telephoneEvent.payloadType;
    if (!isAudio && !isDtmf) return;
    const now = Date.now();
    if (!this.latch.accept(info, rinfo, now, this.lastRxMs)) return;
    if (this.latch.isLatched && this.sendPath && this.sendPath.pinned !== this.latch.rtp && this.latch.rtp)
      this.sendPath.pin(this.latch.rtp);
    this.lastRxMs = now;
    this.failed = false;
    const decoding = this.listenerCount('audio') > 0 || this.inband !== undefined;
    if (isDtmf) {
      // Events share the audio's sequence space: keep our place so the gap is not taken for loss.
      this.forwardGate.note(info.ssrc, info.sequenceNumber);
      if (decoding) this.inbound.skip(info.sequenceNumber, info.ssrc, now);
      const ev = this.dtmfReceiver?.push(info);
      if (ev) this.emit('dtmf', ev);
      return;
    }
    this.reporter.onReceived(info.ssrc, info.sequenceNumber, info.timestamp, now);
    if (this.forwardGate.admit(info.ssrc, info.sequenceNumber)) this.emit('rtp', info);
    if (decoding) this.inbound.push(info, now);
  };

  private readonly onFrame = (chunk: Int16Array, pcmRate: number): void => {
    if (this.inband && pcmRate === 8000) {
      const ev = this.inband.process(chunk);
      if (ev) this.emit('dtmf', ev);
    }
    if (this.listenerCount('audio') > 0) this.emit('audio', { samples: chunk, sampleRate: pcmRate });
  };

  private onTick(): void {
    const now = Date.now();
    // The latched peer went quiet: hear every source again, so another may take over.
    if (this.sendPath?.pinned && now - this.lastRxMs > RELATCH_AFTER_MS) this.sendPath.unpin();
    const ev = this.dtmfReceiver?.flush(now);
    if (ev) this.emit('dtmf', ev);
    const n = this.negotiated;
    if (n && n.expectReceive && !this.failed && now - this.lastRxMs > this.opts.rtpTimeoutMs) {
      this.failed = true;
      this.log.info({ id: this.id }, 'RTP timeout');
      this.emit('failed', `no RTP for ${Math.round((now - this.lastRxMs) / 1000)} s`);
    }
  }
}
