/**
 * What the call layer needs from `sip/` and `media/`, and nothing more. The real classes
 * (InboundCall, SipLeg, SipApplication, MediaServer, MediaSession, Endpoint) satisfy these
 * structurally, so unit tests drive the call layer with small fakes instead of real peers.
 */
import type { EventEmitter } from 'node:events';
import type { DtmfEvent, EndpointKind, OpusPcmRate } from '../../media/types.js';

/*
 * Events maps are the emitters' own, in full: EventEmitter's methods return `this`, so a port
 * declaring fewer events than the real class would not accept it. Fakes extend EventEmitter<...>.
 */

// ---- SIP ----

export interface SipDialogEvents {
  ended: [{ by: 'local' | 'remote'; reason: string }];
  dtmf: [{ digit: string; durationMs: number }];
  info: [{ contentType: string; body: string }];
  reoffer: [{ offer: string; answer: string; status: number }];
}

/** The final response to an in-dialog INFO. */
export interface InfoAnswer {
  status: number;
  reason?: string;
  headers?: Record<string, string>;
}

/** An established INVITE dialog (a SipLeg): BYE, in-dialog DTMF and re-offers. */
export interface SipDialog extends EventEmitter<SipDialogEvents> {
  readonly callId: string;
  readonly remoteSdp: string;
  readonly localSdp: string;
  /** Called for the peer's re-INVITE (hold/resume); returns the answer SDP. */
  onReoffer?: (offerSdp: string) => Promise<string>;
  /**
   * Decides the answer to the peer's INFO (other than DTMF relay); without it every INFO gets 200
   * and the `info` event.
   */
  onInfo?: (info: { contentType: string; body: string }) => InfoAnswer;
  /** BYE; a no-op once the dialog ended. */
  hangup(): Promise<void>;
  /**
   * An INFO toward the peer; resolves on its 2xx, rejects with the SIP status otherwise (a
   * SipCallError-like `{status, reason}`). Optional: test fakes without it cannot carry one.
   */
  sendInfo?(contentType: string, body: string): Promise<void>;
}

export type CallOrigin = { kind: 'trunk'; trunk: string } | { kind: 'user'; user: string };

/**
 * The caller's INVITE while no final response was sent. `cancel` fires when the caller gives up
 * first; the SIP stack itself then answers the INVITE 487, and answer/reject become no-ops.
 */
export interface InboundInvite extends EventEmitter<{ cancel: [] }> {
  readonly callId: string;
  readonly from: { user?: string; uri: string; displayName?: string };
  readonly to: { user?: string; uri: string };
  /** The `To` header's party, when the SIP stack exposes it (the DID may be there rather than in the Request-URI). */
  readonly toHeader?: { user?: string; uri: string };
  readonly origin: CallOrigin;
  readonly offer: string;
  /** 180, or 183 with early media when an SDP is given. */
  ringing(sdp?: string): void;
  /** 200 with our SDP; resolves once ACKed, rejects (e.g. 487) when the caller left first. */
  answer(sdp: string): Promise<SipDialog>;
  reject(status: number, reason?: string, headers?: Record<string, string>): void;
}

/** `contact` rings one registration of the user only (the call layer forks per contact, each with its own offer). */
export type DialTarget = { user: string; contact?: string } | { trunk: string; number: string } | { uri: string };

export interface DialRequest {
  sdp: string;
  from?: { user: string; displayName?: string };
  /** Our own number to present as the From user through a trunk (a relay DID), instead of the trunk's account. */
  callerId?: string;
  headers?: Record<string, string>;
  onProgress?: (status: number, sdp?: string) => void;
  /** The INVITE left (the SIP server sent it), or could not be sent; called once. */
  onSent?: () => void;
}

/** One outbound INVITE in flight: `leg` resolves on 200 (rejects with a `status` on failure). */
export interface DialAttempt {
  readonly leg: Promise<SipDialog>;
  cancel(): void;
}

/** Places outbound INVITEs (SipApplication) and knows where registered users are. */
export interface SipDialer {
  dial(target: DialTarget, opts: DialRequest): DialAttempt;
  readonly registrar: { lookup(user: string): { contact: string; source: { transport: string } }[] };
}

/** The SIP application as the call service sees it: a source of admitted INVITEs, and a dialer. */
export interface SipPort extends SipDialer {
  on(event: 'call', listener: (invite: InboundInvite) => void): unknown;
}

// ---- media ----

export interface MediaEndpoint extends EventEmitter<{ dtmf: [DtmfEvent]; failed: [string]; closed: [] }> {
  readonly kind: EndpointKind;
  /** Its SDP settled on G.711: nothing above 4 kHz reaches or leaves it. */
  readonly narrowband: boolean;
  answer(offerSdp: string): Promise<string>;
  createOffer(): Promise<string>;
  setRemoteAnswer(sdp: string): Promise<void>;
  injectDtmf(digit: string, durationMs: number): void;
  close(): Promise<void>;
}

export interface MediaPlayback extends EventEmitter<{ ended: [{ reason: string }] }> {
  stop(): void;
}

export interface MediaRecording {
  stop(): Promise<{ path: string; durationMs: number }>;
}

export interface MediaMixer {
  /** `listenOnly` for a monitor: hears everyone, nobody hears it. */
  add(ep: MediaEndpoint, opts?: { muted?: boolean; listenOnly?: boolean; whisperTo?: MediaEndpoint }): Promise<void>;
  remove(ep: MediaEndpoint): Promise<void>;
  close(): Promise<void>;
}

/** One call's media: every endpoint of the call lives in it; closing it releases them all. */
export interface MediaSessionPort {
  /** `withOffer`: the endpoint's first `createOffer()` is made with it, in one trip to the media worker. */
  /** `maxPlaybackRate`: 8000 for a leg that will be bridged to a narrowband one (RFC 7587; see media SdpOptions). */
  createEndpoint(kind: EndpointKind, opts?: { withOffer?: boolean; maxPlaybackRate?: OpusPcmRate }): Promise<MediaEndpoint>;
  bridge(a: MediaEndpoint, b: MediaEndpoint): Promise<void>;
  unbridge(a: MediaEndpoint, b: MediaEndpoint): Promise<void>;
  echo(ep: MediaEndpoint): Promise<void>;
  play(ep: MediaEndpoint, source: { file: string } | { tone: string }, opts?: { loop?: boolean }): Promise<MediaPlayback>;
  /** `onSilence` is called once when every recorded endpoint has been quiet for `silenceMs`. */
  record(
    path: string,
    eps: MediaEndpoint[],
    opts?: { sampleRate?: number; silenceMs?: number; onSilence?: () => void },
  ): Promise<MediaRecording>;
  createMixer(opts?: { sampleRate?: number }): Promise<MediaMixer>;
  close(): Promise<void>;
}

/** Rejects with an error named `MediaOverloadError` (with `retryAfter` seconds) when at capacity. */
export interface MediaPort {
  createSession(): Promise<MediaSessionPort>;
}
