import { EventEmitter } from 'node:events';
import type { Call } from './call.js';
import { statusForSip, type FinalCallStatus } from './call-status.js';
import { endpointKindForTransport } from './endpoint-kind.js';
import { Leg, type LegRole } from './leg.js';
import type { DialAttempt, DialTarget, MediaEndpoint, SipDialer, SipDialog } from './ports.js';
import type { EndpointKind, OpusPcmRate } from '../../media/types.js';
import { ForkedAttempt } from './fork.js';

export interface DialOptions {
  /** Role of the leg once answered: `callee` when bridging to a caller, `caller` for an API call's first leg. */
  role: LegRole;
  /** Who the called party sees as calling. */
  from?: { user: string; displayName?: string };
  /** Through a trunk: our own number (a relay DID) presented as the From user. */
  callerId?: string;
  /** How long it may ring before it is cancelled (`no-answer`). */
  ringTimeoutMs: number;
  /** The first INVITE left (see `DialRequest.onSent`). */
  onSent?: () => void;
  /** Offer Opus no wider than this (8000 when the leg is for a narrowband caller: see `playbackLimit`). */
  maxPlaybackRate?: OpusPcmRate;
}

/**
 * What to ask of a new leg's Opus when it will be bridged to `partner`: a G.711 partner plays
 * nothing above 4 kHz, so the far end may as well send narrowband (cheaper for both to code).
 */
export function playbackLimit(partner: MediaEndpoint | undefined): { maxPlaybackRate?: OpusPcmRate } {
  return partner?.narrowband ? { maxPlaybackRate: 8000 } : {};
}

/** Why an outbound leg was not answered: the far end refused, it rang too long, we cancelled, or media failed. */
export type DialFailure = {
  status: FinalCallStatus;
  sipStatus: number;
  reason: string;
  cause: 'rejected' | 'timeout' | 'canceled' | 'media';
};

export type DialOutcome = { answered: true; leg: Leg } | ({ answered: false } & DialFailure);

export interface OutboundLegEvents {
  /** 180/183 without (usable) SDP: the party is being alerted. */
  ringing: [{ status: number }];
  /** 180/183 with SDP: the endpoint now plays the party's early media (ringback, announcements). */
  'early-media': [{ status: number; endpoint: MediaEndpoint }];
}

/**
 * Rings one party of a call (a registered user, a trunk number or a URI) from the call's media
 * session: offer, early media, ring timeout, CANCEL, and a BYE for a 200 that crossed our CANCEL.
 * `outcome` resolves once: the answered leg (already added to the call), or why not.
 */
export class OutboundLeg extends EventEmitter<OutboundLegEvents> {
  readonly outcome: Promise<DialOutcome>;
  /** The SDP of the first provisional that carried one, once the endpoint adopted it. */
  private early: Promise<string | undefined> | undefined;
  /** The endpoint (of the forked contacts) whose early media is playing. */
  private earlyEndpoint: MediaEndpoint | undefined;
  private attempt: DialAttempt | undefined;
  private canceled: DialFailure | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly call: Call,
    private readonly sip: SipDialer,
    readonly target: DialTarget,
    private readonly opts: DialOptions,
  ) {
    super();
    this.outcome = this.run();
  }

  /** Stops the ringing (CANCEL); idempotent, and a no-op once answered. */
  cancel(reason = 'canceled'): void {
    this.stop({ status: 'canceled', sipStatus: 487, reason, cause: 'canceled' });
  }

  private stop(why: DialFailure): void {
    if (this.canceled) return;
    this.canceled = why;
    clearTimeout(this.timer);
    this.attempt?.cancel();
  }

  /**
   * What to ring: one INVITE, or for a user registered more than once one per contact, each
   * offered what its kind needs (WebRTC for a browser's WebSocket contact, plain RTP otherwise).
   */
  private branches(): { kind: EndpointKind; target: DialTarget }[] {
    const { target } = this;
    if (!('user' in target)) return [{ kind: 'rtp', target }];
    const bindings = this.sip.registrar.lookup(target.user);
    if (bindings.length <= 1 || target.contact !== undefined) {
      const b = target.contact === undefined ? bindings[0] : bindings.find((x) => x.contact === target.contact);
      return [{ kind: endpointKindForTransport(b?.source.transport), target }];
    }
    return bindings.map((b) => ({
      kind: endpointKindForTransport(b.source.transport),
      target: { user: target.user, contact: b.contact },
    }));
  }

  private async run(): Promise<DialOutcome> {
    const { call, opts } = this;
    const branches = this.branches();
    const endpoints: MediaEndpoint[] = [];
    const offers: string[] = [];
    try {
      for (const b of branches) {
        const ep = await call.session.createEndpoint(b.kind, { withOffer: true, maxPlaybackRate: opts.maxPlaybackRate });
        endpoints.push(ep);
        offers.push(await ep.createOffer());
      }
    } catch (err) {
      call.logger.warn({ err }, 'no endpoint for the outbound leg');
      await Promise.all(endpoints.map((ep) => ep.close().catch(() => undefined)));
      return { answered: false, status: 'failed', sipStatus: 503, reason: 'Media Unavailable', cause: 'media' };
    }
    if (this.canceled) return this.fail(endpoints, this.canceled);
    let sent = false;
    const onSent = () => {
      if (sent) return;
      sent = true;
      opts.onSent?.();
    };
    const attempts = branches.map((b, i) =>
      this.sip.dial(b.target, {
        sdp: offers[i]!,
        from: opts.from,
        callerId: opts.callerId,
        onProgress: (status, sdp) => this.onProgress(endpoints[i]!, status, sdp),
        onSent,
      }),
    );
    const fork = attempts.length === 1 ? undefined : new ForkedAttempt(attempts);
    this.attempt = fork ?? attempts[0]!;
    this.timer = setTimeout(() => {
      call.logger.info({ ringTimeoutMs: opts.ringTimeoutMs }, 'no answer, cancelling');
      this.stop({ status: 'no-answer', sipStatus: 480, reason: 'No Answer', cause: 'timeout' });
    }, opts.ringTimeoutMs);
    let dialog: SipDialog;
    try {
      dialog = await this.attempt.leg;
    } catch (err) {
      const sipStatus = (err as { status?: number }).status ?? 500;
      const reason = (err as { reason?: string }).reason ?? 'Failed';
      call.logger.info({ sipStatus, target: this.target }, 'outbound leg not answered');
      // After our own CANCEL the far end says 487; what counts is why we cancelled.
      return this.fail(endpoints, this.canceled ?? { status: statusForSip(sipStatus), sipStatus, reason, cause: 'rejected' });
    } finally {
      clearTimeout(this.timer);
    }
    // The contacts that lost the race release their endpoints; the winner's carries the call.
    const endpoint = endpoints[fork?.winner ?? 0]!;
    for (const ep of endpoints) if (ep !== endpoint) void ep.close().catch(() => undefined);
    if (fork && this.earlyEndpoint && this.earlyEndpoint !== endpoint) this.early = undefined;
    if (this.canceled) {
      // The 200 crossed our CANCEL: too late, hang up at once.
      await dialog.hangup().catch(() => undefined);
      return this.fail([endpoint], this.canceled);
    }
    try {
      // An answer repeating the early SDP is already in place (RFC 3261 §13.2.1: they match).
      if ((await this.early) !== dialog.remoteSdp) await endpoint.setRemoteAnswer(dialog.remoteSdp);
    } catch (err) {
      call.logger.warn({ err }, 'outbound leg answer unusable');
      await dialog.hangup().catch(() => undefined);
      return this.fail([endpoint], { status: 'failed', sipStatus: 488, reason: 'Not Acceptable Here', cause: 'media' });
    }
    const leg = new Leg(opts.role, dialog, endpoint, call.logger);
    // On a call that ended meanwhile, addLeg hangs the leg up (BYE).
    call.addLeg(leg);
    if (call.isEnded()) return { answered: false, status: 'canceled', sipStatus: 487, reason: 'call ended', cause: 'canceled' };
    return { answered: true, leg };
  }

  private onProgress(endpoint: MediaEndpoint, status: number, sdp: string | undefined): void {
    if (status !== 180 && status !== 183) return;
    if (!sdp || this.early) {
      if (!this.early) this.emit('ringing', { status });
      return;
    }
    this.earlyEndpoint = endpoint;
    this.early = endpoint.setRemoteAnswer(sdp).then(
      () => {
        if (!this.canceled) this.emit('early-media', { status, endpoint });
        return sdp;
      },
      (err: unknown) => {
        this.call.logger.info({ err }, 'early media SDP unusable, relaying ringing only');
        this.emit('ringing', { status });
        return undefined;
      },
    );
  }

  private async fail(endpoints: MediaEndpoint[], why: DialFailure): Promise<DialOutcome> {
    await Promise.all(endpoints.map((ep) => ep.close().catch(() => undefined)));
    return { answered: false, ...why };
  }
}

/** Places outbound legs for calls; the inbound connect handler and the API share it. */
export class Dialer {
  constructor(private readonly sip: SipDialer) {}

  dial(call: Call, target: DialTarget, opts: DialOptions): OutboundLeg {
    return new OutboundLeg(call, this.sip, target, opts);
  }
}
