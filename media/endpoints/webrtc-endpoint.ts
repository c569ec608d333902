/**
 * A call leg that ends in a browser: ICE, DTLS-SRTP and RTCP through werift, Opus 48 kHz and
 * telephone-event/48000. It is a NegotiatingEndpoint like the RTP endpoint, so the bridge,
 * mixer, player and recorder treat both alike.
 *
 * SIP has no trickle ICE: every SDP we return is produced after gathering completed.
 */
import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import { RTCPeerConnection, type RtpPacket, type MediaStreamTrack, type RTCRtpTransceiver } from 'werift';
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
import { createEncoder, type AudioEncoder } from '../codecs/index.js';
import { InboundAudio } from './inbound-audio.js';
import { ForwardGate } from './forward-gate.js';
import { planIce, rewriteLocalSdp, usableRemoteSdp, type IcePlan, type WebRtcSettings } from './webrtc-ice.js';
import { TelephoneEventReceiver } from './webrtc-dtmf.js';
import { DtmfSender } from './webrtc-dtmf-sender.js';
import { RtpOutboundClock } from './webrtc-rtp-clock.js';
import { checkWebRtcSdp, limitOpusRate, weriftCodecs } from './webrtc-codecs.js';
import { installSessionCiphers, preferSessionCipherProfile, type DtlsTransportLike } from './srtp-cipher.js';
import { holdEarlyDtlsRecords, type EarlyDtlsTransport } from './dtls-early-records.js';
import { SenderReportFeed, type ReportingSender } from './webrtc-sender-report.js';
import { OutboundRtpHeader, WebRtcSendPath, type SrtpTransportLike } from './webrtc-send-path.js';
import { SrtpReceivePath, type SrtpReceiveTransportLike } from './srtp-receive-path.js';
import { WebRtcRtcp } from './webrtc-rtcp.js';
import { batchReceiver, type BatchReceiver } from './udp-receive.js';
import { FecLossTracker } from './fec-loss.js';

const RTCP_SR = 200;
const RTCP_RR = 201;

/** The part of the media engine's EndpointContext this endpoint uses. */
export interface WebRtcEndpointContext {
  id: string;
  logger?: Logger;
  webrtc: WebRtcSettings;
  /** Keep ICE sockets inside this UDP range (werift picks a free port in it). */
  icePortRange?: [number, number];
  /** Longest an inbound packet waits behind a gap for a reordered one. */
  jitterBufferMs?: number;
}

export interface WebRtcEndpointOptions {
  /** PCM rate of `audio` events and `sendAudio` frames: 48000, or 8000 when the other leg is narrowband. */
  pcmRate?: 48000 | 8000;
  /** Declare the leg failed when no RTP arrived for this long while the browser should send. */
  rtpTimeoutMs?: number;
  /** Declare the leg failed when ICE + DTLS did not connect this long after offer/answer. */
  connectTimeoutMs?: number;
  /**
   * How the browser's audio is read once connected: through the thread's batch receiver (default),
   * dgram (null), or werift's own chain ('werift': A/B runs; SWITCHBOARD_WEBRTC_RECEIVE=werift).
   */
  receiver?: BatchReceiver | null | 'werift';
}

export class WebRtcEndpoint extends EventEmitter<MediaPortEvents> implements NegotiatingEndpoint {
  readonly kind = 'webrtc' as const;
  readonly id: string;
  private readonly log: Logger;
  private readonly plan: IcePlan;
  private readonly pc: RTCPeerConnection;
  private transceiver: RTCRtpTransceiver | undefined;
  private _codec: CodecSpec | undefined;
  private telEventPt: number | undefined;
  private _pcmRate: number;
  private encoder: AudioEncoder | undefined;
  /** Browsers report our stream's loss every few seconds (RTCP is mandatory here): FEC from none. */
  private readonly fecLoss = new FecLossTracker(0);
  private lossReportsFrom: unknown;
  /** Our RTCP (statistics from the first packet sent; reports once our receive path serves). */
  private rtcp: WebRtcRtcp | undefined;
  private readonly inbound: InboundAudio;
  private readonly forwardGate = new ForwardGate();
  /** Browsers may send events on any telephone-event they offered (Chromium picks /8000 too). */
  private dtmfIn = new Map<number, TelephoneEventReceiver>();
  private readonly dtmfOut: DtmfSender;
  private _closed = false;
  private failedOnce = false;
  private connected = false;
  private readonly rtpTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private watchdog: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly connectWaiters: Array<(err?: Error) => void> = [];
  private lastRtpAt = 0;
  /** One SSRC (werift's sender), our own sequence and timestamp lines. */
  private readonly clock = new RtpOutboundClock();
  private reportFeed: SenderReportFeed | undefined;
  private readonly outHeader = new OutboundRtpHeader();
  private _srtpTransform: 'aes-cm' | 'aes-gcm' | 'werift' | undefined;
  /** Kept for re-offers, which are answered without options (see SdpOptions). */
  private maxPlaybackRate: SdpOptions['maxPlaybackRate'];
  private readonly sendPath: WebRtcSendPath;
  /** Our SRTP audio path off the nominated socket; undefined: werift's chain throughout. */
  private readonly receivePath: SrtpReceivePath | undefined;

  constructor(ctx: WebRtcEndpointContext, opts: WebRtcEndpointOptions = {}) {
    super();
    this.id = ctx.id;
    this.log = (ctx.logger ?? pino({ level: 'silent' })).child({ endpoint: ctx.id, kind: 'webrtc' });
    this.sendPath = new WebRtcSendPath(this.log);
    const receiver = opts.receiver ?? (process.env.SWITCHBOARD_WEBRTC_RECEIVE === 'werift' ? 'werift' : batchReceiver());
    if (receiver !== 'werift') this.receivePath = new SrtpReceivePath(this.log, receiver, (p) => this.onPacket(p));
    this._pcmRate = opts.pcmRate ?? 48000;
    this.rtpTimeoutMs = opts.rtpTimeoutMs ?? 5000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 15000;
    this.plan = planIce(ctx.webrtc);
    const allowed = this.plan.allowed;
    this.pc = new RTCPeerConnection({
      codecs: { audio: weriftCodecs() },
      iceServers: this.plan.iceServers,
      iceAdditionalHostAddresses: this.plan.additionalHostAddresses,
      ...(ctx.icePortRange ? { icePortRange: ctx.icePortRange } : {}),
      ...(allowed
        ? { iceFilterCandidatePair: (pair) => pair.localCandidate.type !== 'host' || allowed.has(pair.localCandidate.host) }
        : {}),
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
    });
    this.inbound = new InboundAudio(this.log, {
      maxDelayMs: ctx.jitterBufferMs ?? 60,
      format: () => (this._codec ? { codec: this._codec, pcmRate: this._pcmRate } : undefined),
      onFrame: (samples, sampleRate) => this.emit('audio', { samples, sampleRate }),
    });
    this.dtmfOut = new DtmfSender((payload, marker, ts) => this.sendRaw(this.telEventPt, payload, marker, ts));
    this.pc.onTrack.subscribe((track) => this.attachTrack(track));
    this.pc.connectionStateChange.subscribe((state) => this.onConnectionState(state));
  }

  /** Whose SRTP transform runs once connected: ours (per profile) or werift's. */
  get srtpTransform(): 'aes-cm' | 'aes-gcm' | 'werift' | undefined {
    return this._srtpTransform;
  }

  /** How the browser's audio arrives now: our SRTP path, or werift's chain. */
  get receivedVia(): 'own' | 'werift' {
    return this.receivePath?.active ? 'own' : 'werift';
  }

  /** What our receive path refused: replayed or too old, failed authentication, malformed. */
  get refusedSrtp(): { replayed: number; unauthenticated: number; malformed: number } | undefined {
    return this.receivePath ? { ...this.receivePath.refused } : undefined;
  }

  /** How our last packet left: the UDP send addon, dgram, or werift's own chain. */
  get sentVia(): 'native' | 'dgram' | 'werift' | undefined {
    return this.sendPath.lastVia;
  }

  get closed(): boolean {
    return this._closed;
  }
  get codec(): CodecSpec | undefined {
    return this._codec;
  }
  get pcmRate(): number {
    return this._pcmRate;
  }

  /** Switch the PCM side between 48 kHz and 8 kHz (the RTP clock stays 48 kHz). */
  setPcmRate(rate: 48000 | 8000): void {
    if (rate === this._pcmRate) return;
    this._pcmRate = rate;
    this.encoder?.close();
    this.encoder = undefined;
    this.inbound.reset();
  }

  async answer(offerSdp: string, opts?: SdpOptions): Promise<string> {
    this.assertOpen();
    if (opts?.maxPlaybackRate) this.maxPlaybackRate = opts.maxPlaybackRate;
    if (!/^m=audio /m.test(offerSdp)) throw new SdpNegotiationError('offer has no audio stream');
    checkWebRtcSdp(offerSdp, 'offer');
    try {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: usableRemoteSdp(offerSdp) });
    } catch (err) {
      throw new SdpNegotiationError(`unusable WebRTC offer: ${(err as Error).message}`);
    }
    this.bindTransceiver();
    // An offer that lets us choose (actpass, as every browser sends) gets a passive answer: the
    // browser opens DTLS the moment its ICE is up, where werift as the client waits a fixed
    // 100 ms after ICE before its first flight (a tenth of a second on every call's set-up).
    if (/^a=setup:actpass\s*$/m.test(offerSdp)) this.transceiver!.dtlsTransport.role = 'server';
    holdEarlyDtlsRecords(this.transceiver!.dtlsTransport as unknown as EarlyDtlsTransport);
    preferSessionCipherProfile(this.transceiver!.dtlsTransport);
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.adoptNegotiated();
    return this.localSdp();
  }

  async createOffer(opts?: { codecs?: CodecName[] } & SdpOptions): Promise<string> {
    this.assertOpen();
    if (opts?.maxPlaybackRate) this.maxPlaybackRate = opts.maxPlaybackRate;
    if (opts?.codecs && !opts.codecs.includes('opus')) throw new SdpNegotiationError('a WebRTC leg speaks Opus only');
    if (!this.transceiver) this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    // the browser answers setup:active: its ClientHello may come before we listen, as above
    holdEarlyDtlsRecords(this.transceiver.dtlsTransport as unknown as EarlyDtlsTransport);
    preferSessionCipherProfile(this.transceiver.dtlsTransport);
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    return this.localSdp();
  }

  async setRemoteAnswer(answerSdp: string): Promise<void> {
    this.assertOpen();
    checkWebRtcSdp(answerSdp, 'answer');
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: usableRemoteSdp(answerSdp) });
    } catch (err) {
      throw new SdpNegotiationError(`unusable WebRTC answer: ${(err as Error).message}`);
    }
    this.adoptNegotiated();
  }

  injectDtmf(event: DtmfEvent): void {
    if (!this._closed) this.emit('dtmf', event);
  }

  sendRtp(packet: RtpPacketInfo): void {
    if (!this.canSend()) return;
    const ts = this.clock.forwarded(packet.ssrc, packet.timestamp);
    this.sendRaw(this._codec!.payloadType, packet.payload, packet.marker, ts);
  }

  sendAudio(frame: AudioFrame): void {
    if (!this.canSend()) return;
    if (!this.encoder) {
      this.encoder = createEncoder(this._codec!, { pcmRate: this._pcmRate });
      this.fecLoss.prime(this.encoder);
    }
    const payload = this.encoder.encode(frame.samples);
    this.sendRaw(this._codec!.payloadType, payload, false, this.clock.frame());
  }

  sendDtmf(digit: string, durationMs = 100): void {
    if (!this.canSend() || this.telEventPt === undefined) {
      this.log.warn({ digit }, 'telephone-event not negotiated; DTMF dropped');
      return;
    }
    const ts = this.clock.peek();
    this.clock.skip(ts, this.dtmfOut.send(digit, durationMs, ts));
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.clearConnectTimer();
    this.settleWaiters(new Error(`endpoint ${this.id} closed`));
    this.dtmfOut.close();
    this.receivePath?.release();
    this.rtcp?.close();
    this.encoder?.close();
    this.encoder = undefined;
    this.inbound.reset();
    this.pc.close().catch((err: unknown) => this.log.debug({ err }, 'peer connection close'));
    this.emit('closed');
    this.removeAllListeners();
  }

  /** Resolves once ICE and DTLS are up (media can flow); rejects if the leg fails or closes first. */
  waitConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this._closed || this.failedOnce) return Promise.reject(new Error(`endpoint ${this.id} is not connecting`));
    return new Promise((resolve, reject) => this.connectWaiters.push((err) => (err ? reject(err) : resolve())));
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** werift's stats (for benchmarks and diagnostics). */
  async getStats(): Promise<unknown> {
    return this.pc.getStats();
  }

  private assertOpen(): void {
    if (this._closed) throw new Error(`endpoint ${this.id} is closed`);
  }

  private canSend(): boolean {
    return !this._closed && this.connected && this._codec !== undefined && this.transceiver !== undefined;
  }

  private bindTransceiver(): void {
    this.transceiver ??= this.pc.getTransceivers().find((t) => t.kind === 'audio');
    if (!this.transceiver) throw new SdpNegotiationError('offer has no audio stream');
    // The browser may offer recvonly (a listen-only phone) or sendrecv; we always send and receive when allowed.
    if (this.transceiver.direction === 'inactive' || this.transceiver.direction === 'recvonly')
      this.transceiver.setDirection('sendrecv');
  }

  private adoptNegotiated(): void {
    const t = this.transceiver;
    const codecs = t?.codecs ?? [];
    const opus = codecs.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
    if (!opus) throw new SdpNegotiationError('no Opus in the remote description');
    const tel = codecs.find((c) => c.mimeType.toLowerCase() === 'audio/telephone-event' && c.clockRate === 48000);
    this.telEventPt = tel?.payloadType;
    const receivers = new Map<number, TelephoneEventReceiver>();
    for (const c of codecs) {
      if (c.mimeType.toLowerCase() !== 'audio/telephone-event') continue;
      receivers.set(
        c.payloadType,
        this.dtmfIn.get(c.payloadType) ?? new TelephoneEventReceiver(c.clockRate, (e) => this.emit('dtmf', e)),
      );
    }
    this.dtmfIn = receivers;
    // What the browser receives: every browser's Opus fmtp carries useinbandfec=1 and its decoder
    // recovers a lost packet from the next one's FEC, so our encoder spends on it (RFC 7587 §6.1).
    this._codec = { name: 'opus', payloadType: opus.payloadType, clockRate: 48000, channels: 2, params: { useinbandfec: 1 } };
    if (!this.connected && !this.connectTimer) {
      this.connectTimer = setTimeout(
        () => this.fail(`ICE/DTLS not connected after ${this.connectTimeoutMs} ms`),
        this.connectTimeoutMs,
      );
      this.connectTimer.unref();
    }
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  private settleWaiters(err?: Error): void {
    for (const w of this.connectWaiters.splice(0)) w(err);
  }

  private localSdp(): string {
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('no local description');
    return limitOpusRate(rewriteLocalSdp(sdp, this.plan), this.maxPlaybackRate);
  }

  private attachTrack(track: MediaStreamTrack): void {
    if (track.kind !== 'audio') return;
    track.onReceiveRtp.subscribe((rtp) => this.onWeriftRtp(rtp));
  }

  /** A packet through werift's chain: the first of an SSRC, or all of them when our path cannot serve. */
  private onWeriftRtp(rtp: RtpPacket): void {
    if (this._closed) return;
    const h = rtp.header;
    if (this.receivePath && this.connected && this._srtpTransform !== 'werift') this.takeReceivePath(h.ssrc);
    this.onPacket({
      payloadType: h.payloadType,
      sequenceNumber: h.sequenceNumber,
      timestamp: h.timestamp,
      ssrc: h.ssrc,
      marker: h.marker,
      payload: rtp.payload,
    });
  }

  /** The next packets of `ssrc` come our way (werift has its SRTP state for it by now), and RTCP is ours. */
  private takeReceivePath(ssrc: number): void {
    const t = this.transceiver;
    if (!t) return;
    const transport = t.dtlsTransport as unknown as SrtpReceiveTransportLike & SrtpTransportLike;
    const path = this.receivePath!;
    if (path.holds(transport, ssrc)) return;
    const rtcp = this.rtcpSession();
    if (!rtcp || !path.take(transport, ssrc, rtcp.reporter)) return;
    path.rtcpSink = (packet) => rtcp.onSrtcp(packet, transport.srtcp as { decrypt(p: Buffer): Buffer } | undefined);
    rtcp.takeOver([t.sender, t.receiver] as unknown as Parameters<WebRtcRtcp['takeOver']>[0]);
  }

  private rtcpSession(): WebRtcRtcp | undefined {
    const t = this.transceiver;
    if (!t || this._closed) return undefined;
    this.rtcp ??= new WebRtcRtcp(
      this.log,
      t.sender.ssrc,
      (rtcp) => this.sendPath.sendRtcp(t.dtlsTransport as unknown as SrtpTransportLike, rtcp),
      (fraction) => this.fecLoss.follow(fraction, this.encoder),
    );
    return this.rtcp;
  }

  private onPacket(info: RtpPacketInfo): void {
    if (this._closed) return;
    this.lastRtpAt = Date.now();
    const events = this.dtmfIn.get(info.payloadType);
    const decoding = this.listenerCount('audio') > 0;
    if (events) {
      events.push(info.timestamp, info.payload);
      this.forwardGate.note(info.ssrc, info.sequenceNumber);
      if (decoding) this.inbound.skip(info.sequenceNumber, info.ssrc);
      return;
    }
    if (!this._codec || info.payloadType !== this._codec.payloadType) return;
    if (this.forwardGate.admit(info.ssrc, info.sequenceNumber)) this.emit('rtp', info);
    if (decoding) this.inbound.push(info);
  }

  private sendRaw(pt: number | undefined, payload: Buffer, marker: boolean, timestamp: number): void {
    const sender = this.transceiver?.sender;
    if (pt === undefined || !sender || this._closed) return;
    const header = this.outHeader;
    header.payloadType = pt;
    header.sequenceNumber = this.clock.nextSequence();
    header.timestamp = timestamp;
    header.ssrc = sender.ssrc;
    header.marker = marker;
    if (pt === this._codec?.payloadType) {
      // Audio counts in the sender reports (events, as in browsers, do not): ours, and werift's
      // until ours take over.
      const rtcp = this.rtcpSession();
      rtcp?.reporter.onSent(timestamp, payload.length);
      if (!rtcp?.tookOver) {
        this.reportFeed ??= new SenderReportFeed(sender as unknown as ReportingSender);
        this.reportFeed.sent(timestamp, payload.length);
      }
    }
    // Straight onto SRTP and the ICE socket: werift's sender would add per-packet video work (see
    // webrtc-sender-report), its transport a chain of promises (see webrtc-send-path).
    this.sendPath.send(sender.dtlsTransport as unknown as SrtpTransportLike, header, payload);
  }

  private onConnectionState(state: string): void {
    this.log.debug({ state }, 'connection state');
    if (state === 'connected') {
      this.connected = true;
      // werift builds a cipher per packet; ours keeps the key schedule per session.
      for (const t of this.pc.dtlsTransports) {
        const profile = installSessionCiphers(t as unknown as DtlsTransportLike);
        this._srtpTransform = profile ?? 'werift';
        this.log.debug({ profile: this._srtpTransform }, 'SRTP transform');
      }
      this.listenForLossReports();
      this.clearConnectTimer();
      this.settleWaiters();
      this.lastRtpAt = Date.now();
      this.watchdog ??= setInterval(() => this.checkRtpTimeout(), Math.min(1000, this.rtpTimeoutMs));
      this.watchdog.unref();
    } else if (state === 'failed' || state === 'closed') {
      this.fail(`WebRTC connection ${state}`);
    }
    // 'disconnected' may heal (a Wi-Fi hiccup): the RTP watchdog decides if it does not.
  }

  /** Each of the browser's reports on our audio sets our encoder's FEC (see FecLossTracker). */
  private listenForLossReports(): void {
    const t = this.transceiver;
    if (!t || this.lossReportsFrom === t.dtlsTransport) return;
    this.lossReportsFrom = t.dtlsTransport;
    t.dtlsTransport.onRtcp.subscribe((rtcp) => {
      if (rtcp.type !== RTCP_SR && rtcp.type !== RTCP_RR) return;
      const ours = t.sender.ssrc;
      for (const r of (rtcp as { reports: Array<{ ssrc: number; fractionLost: number }> }).reports) {
        if (r.ssrc === ours) this.fecLoss.follow(r.fractionLost / 256, this.encoder);
      }
    });
  }

  private checkRtpTimeout(): void {
    const dir = this.transceiver?.currentDirection;
    const remoteSends = dir === undefined || dir === 'sendrecv' || dir === 'recvonly';
    if (remoteSends && Date.now() - this.lastRtpAt > this.rtpTimeoutMs) this.fail(`no RTP for ${this.rtpTimeoutMs} ms`);
  }

  private fail(reason: string): void {
    if (this._closed || this.failedOnce) return;
    this.failedOnce = true;
    this.connected = false;
    this.receivePath?.release();
    this.rtcp?.close();
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.clearConnectTimer();
    this.settleWaiters(new Error(reason));
    this.log.info({ reason }, 'WebRTC leg failed');
    this.emit('failed', reason);
  }
}
