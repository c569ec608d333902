/**
 * Interfaces shared inside the media server (worker side). Endpoints (RTP, WebRTC) implement
 * MediaPort; Bridge, Mixer, Player, Recorder and DTMF detection work on MediaPort only, so they
 * never know which kind of endpoint a leg has.
 */
import type { EventEmitter } from 'node:events';

export type CodecName = 'PCMU' | 'PCMA' | 'opus' | 'telephone-event';

export interface CodecSpec {
  name: CodecName;
  payloadType: number;
  /** RTP clock rate: 8000 for G.711, 48000 for Opus and its telephone-event. */
  clockRate: number;
  channels: number;
  /** fmtp parameters (useinbandfec, stereo, ptime, ...). */
  params?: Record<string, string | number>;
}

/** One RTP packet as the bridge sees it (after SRTP, if any, is removed). */
export interface RtpPacketInfo {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Buffer;
}

/** 20 ms of mono linear PCM. */
export interface AudioFrame {
  samples: Int16Array;
  sampleRate: number;
}

export type DtmfSource = 'rfc4733' | 'info' | 'inband';

export interface DtmfEvent {
  digit: string; // 0-9 * # A-D
  durationMs: number;
  source: DtmfSource;
}

export interface MediaPortEvents {
  /** Every inbound audio RTP packet, before decoding (for pass-through). */
  rtp: [RtpPacketInfo];
  /** Decoded inbound audio, one 20 ms frame at `pcmRate` (only emitted while someone listens). */
  audio: [AudioFrame];
  dtmf: [DtmfEvent];
  /** The remote side stopped sending for too long, ICE failed, etc. */
  failed: [string];
  closed: [];
}

export interface MediaPort extends EventEmitter<MediaPortEvents> {
  readonly id: string;
  readonly closed: boolean;
  /** The negotiated audio codec (undefined until offer/answer completes). */
  readonly codec: CodecSpec | undefined;
  /** Rate of PCM this port decodes to and accepts for encoding (8000 for G.711, 48000 or 8000 for Opus). */
  readonly pcmRate: number;
  /** Forward a packet of the same codec, rewriting SSRC/sequence/timestamp continuity. */
  sendRtp(packet: RtpPacketInfo): void;
  /** Encode and send one 20 ms frame (resampled by the caller or the port to `pcmRate`). */
  sendAudio(frame: AudioFrame): void;
  /** Send a DTMF digit as RFC 4733 events (or in-band if telephone-event was not negotiated). */
  sendDtmf(digit: string, durationMs?: number): void;
  close(): void;
}

export type EndpointKind = 'rtp' | 'webrtc';

/** What our SDP tells the far end beyond the codec list. */
export interface SdpOptions {
  /**
   * Opus `maxplaybackrate` and `sprop-maxcapturerate` (RFC 7587 §6.1): the highest audio rate this
   * leg will play or send. 8000 when the other leg is narrowband (G.711): a far end that honours it
   * encodes narrowband SILK instead of wideband or CELT, which costs it less to encode and us less to
   * decode, and nothing above 4 kHz is thrown away at the bridge.
   */
  maxPlaybackRate?: OpusPcmRate;
}

export type OpusPcmRate = 8000 | 12000 | 16000 | 24000 | 48000;

/**
 * A MediaPort that negotiates its session with SDP. Both the RTP endpoint and the WebRTC
 * endpoint implement this; the worker creates them by kind and the rest of the media server
 * treats them alike.
 */
export interface NegotiatingEndpoint extends MediaPort {
  readonly kind: EndpointKind;
  /** Answer a remote offer (initial or re-offer: hold, resume, codec change); returns the local answer SDP. */
  answer(offerSdp: string, opts?: SdpOptions): Promise<string>;
  /** Local offer for an outbound leg; `codecs` orders the preference. */
  createOffer(opts?: { codecs?: CodecName[] } & SdpOptions): Promise<string>;
  setRemoteAnswer(answerSdp: string): Promise<void>;
  /** A DTMF digit learnt outside the media (SIP INFO): emitted as the same `dtmf` event. */
  injectDtmf(event: DtmfEvent): void;
}

/** Thrown when offer and answer share no usable audio codec (SIP maps it to 488). */
export class SdpNegotiationError extends Error {
  override name = 'SdpNegotiationError';
}
