import type { Logger } from 'pino';
import { Call, type DialedNumber } from './call.js';
import { statusForSip, type HangupCause } from './call-status.js';
import type { CallRegistry } from './call-registry.js';
import type { CallRouter, Route } from './router.js';
import { CallerInvite } from './caller-invite.js';
import { Dialer } from './dialer.js';
import { endpointKindForOffer } from './endpoint-kind.js';
import type { InboundInvite, MediaEndpoint, MediaPort, MediaSessionPort, SipPort } from './ports.js';
import { runHandler, type CallHandler, type HandlerContext } from './handlers/handler.js';
import { EchoHandler } from './handlers/echo.js';
import { RecordPlaybackHandler } from './handlers/record-playback.js';
import { ConnectHandler } from './handlers/connect.js';
import { Originator, type FlowHandlers, type OriginateRequest } from './originator.js';

export type { FlowHandlers } from './originator.js';

export interface CallServiceOptions {
  sip: SipPort;
  media: MediaPort;
  router: CallRouter;
  registry: CallRegistry;
  recordingsDir: string;
  recording: { enabled: boolean; sampleRate: number };
  ringTimeoutMs: number;
  logger: Logger;
  /** Takes INVITEs another service answers (an agent joining a waiting API call); true when taken. */
  claim?: (invite: InboundInvite) => boolean;
  /** Runs applications' call flows (the FlowEngine, src/flows); absent, application DIDs answer 480. */
  flows?: FlowHandlers;
}

/** The project DID a route was resolved from, kept on the call for its record and events. */
function dialedNumber(route: Route): DialedNumber | undefined {
  if (route.kind === 'agent' || route.kind === 'application') return { e164: route.number, projectId: route.projectId };
  if (route.kind === 'relay') return { e164: route.number, projectId: route.projectId, forwardTo: route.forwardTo };
  if (route.kind === 'refused' && route.number !== undefined && route.projectId !== undefined)
    return { e164: route.number, projectId: route.projectId };
  return undefined;
}

/** The cause for calls ended by a shutdown: a caller still ringing hears 503. */
export const SHUTDOWN: HangupCause = { reason: 'shutdown', status: 'failed', sipStatus: 503, sipReason: 'Shutting Down' };

/** Turns inbound INVITEs (and API requests) into calls: media session, routing, and the handler. */
export class CallService {
  readonly dialer: Dialer;
  private readonly originator: Originator;
  /** Handlers still running (ringing a callee, playing a prompt...). */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly opts: CallServiceOptions) {
    this.dialer = new Dialer(opts.sip);
    this.originator = new Originator({
      media: opts.media,
      registry: opts.registry,
      dialer: this.dialer,
      recording: opts.recording,
      recordingsDir: opts.recordingsDir,
      ringTimeoutMs: opts.ringTimeoutMs,
      logger: opts.logger,
      track: (p) => this.track(p),
      flows: opts.flows,
    });
  }

  start(): void {
    this.opts.sip.on('call', (invite) => {
      if (this.opts.claim?.(invite)) return;
      this.track(
        this.onInbound(invite).catch((err: unknown) => {
          this.opts.logger.error({ err, sipCallId: invite.callId }, 'inbound call failed');
        }),
      );
    });
  }

  /**
   * A call placed from the API: rings `to` (its leg is the call's `caller` leg); once answered,
   * dials `connect` (if given) and bridges the two. Resolves once ringing started; rejects with
   * the media error (MediaOverloadError: answer 503) when no media session could be had.
   */
  originate(req: OriginateRequest): Promise<Call> {
    return this.originator.originate(req);
  }

  /** Whether API calls can run a call flow (`OriginateRequest.flow`) on this box. */
  get runsFlows(): boolean {
    return this.originator.runsFlows;
  }

  /**
   * Waits (at most `timeoutMs`) for running handlers to finish, so that after the calls were ended
   * their CANCELs and final responses go out before the SIP stack closes.
   */
  async drain(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
    clearTimeout(timer);
  }

  private track(run: Promise<void>): void {
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private async onInbound(invite: InboundInvite): Promise<void> {
    const { router, media, registry, logger } = this.opts;
    const dialed = invite.to.user ?? '';
    // Routing reads the store: a CANCEL arriving meanwhile must not be lost.
    let canceledEarly = false;
    const onCancel = () => {
      canceledEarly = true;
    };
    invite.once('cancel', onCancel);
    let route: Route;
    try {
      route = await router.route({
        requestUser: dialed,
        toUser: invite.toHeader?.user,
        ...(invite.origin.kind === 'user' ? { caller: invite.origin.user } : {}),
      });
    } catch (err) {
      logger.error({ err, sipCallId: invite.callId, dialed }, 'routing failed');
      route = { kind: 'refused', sipStatus: 503, sipReason: 'Service Unavailable', reason: 'routing failed' };
    } finally {
      invite.off('cancel', onCancel);
    }
    if (route.kind === 'application' && !this.opts.flows) {
      route = {
        kind: 'refused',
        number: route.number,
        projectId: route.projectId,
        sipStatus: 480,
        sipReason: 'Application Not Available',
        reason: 'no call-flow engine',
      };
    }
    const call = new Call({
      direction: 'inbound',
      from: invite.from.user ?? invite.from.uri,
      to: dialed,
      route: route.kind,
      number: dialedNumber(route),
      sipCallId: invite.callId,
      logger,
    });
    const caller = new CallerInvite(call, invite);
    if (canceledEarly) {
      await call.hangup({ status: 'canceled', sipStatus: 487, reason: 'caller canceled' });
      return;
    }
    // A carrier's call to a number nobody here owns must not go straight back out (loops, toll fraud).
    const hairpin = route.kind === 'trunk' && invite.origin.kind === 'trunk';
    if (route.kind === 'unknown' || hairpin) {
      await call.hangup({
        status: 'failed',
        sipStatus: 404,
        sipReason: 'Not Found',
        reason: hairpin ? 'trunk call to a trunk number' : 'unknown number',
      });
      return;
    }
    if (route.kind === 'refused') {
      call.logger.info(
        { dialed, number: route.number, projectId: route.projectId, reason: route.reason },
        'call refused by its route',
      );
      await call.hangup({
        status: statusForSip(route.sipStatus),
        sipStatus: route.sipStatus,
        sipReason: route.sipReason,
        reason: route.reason,
      });
      return;
    }
    if (!invite.offer) {
      await call.hangup({ status: 'failed', sipStatus: 488, sipReason: 'SDP offer required', reason: 'no SDP offer' });
      return;
    }
    let session: MediaSessionPort;
    try {
      session = await media.createSession();
    } catch (err) {
      const retryAfter =
        (err as { name?: string; retryAfter?: number }).name === 'MediaOverloadError'
          ? (err as { retryAfter?: number }).retryAfter
          : undefined;
      call.logger.warn({ err }, retryAfter !== undefined ? 'media overloaded, refusing call' : 'media session failed');
      await call.hangup(
        retryAfter !== undefined
          ? {
              status: 'failed',
              sipStatus: 503,
              sipReason: 'Media Capacity Exceeded',
              headers: { 'Retry-After': String(retryAfter) },
              reason: 'media overloaded',
            }
          : { status: 'failed', sipStatus: 503, sipReason: 'Media Unavailable', reason: 'media session failed' },
      );
      return;
    }
    call.attachSession(session);
    if (call.isEnded()) return;
    registry.add(call);

    let callerEp: MediaEndpoint | undefined;
    try {
      callerEp = await session.createEndpoint(endpointKindForOffer(invite.offer));
      caller.setMedia(callerEp, await callerEp.answer(invite.offer));
    } catch (err) {
      const negotiation = (err as { name?: string }).name === 'SdpNegotiationError';
      call.logger.warn({ err }, negotiation ? 'no common codec with the caller' : 'caller endpoint failed');
      // Out of RTP ports and the like: the caller may well succeed elsewhere or later.
      await call.hangup(
        negotiation
          ? { status: 'failed', sipStatus: 488, sipReason: 'Not Acceptable Here', reason: 'no common codec' }
          : { status: 'failed', sipStatus: 503, sipReason: 'Media Unavailable', reason: 'media error' },
      );
      return;
    }
    call.logger.info({ dialed, route: route.kind, origin: invite.origin }, 'inbound call');
    if (callerEp.kind === 'webrtc') caller.sessionProgress();
    await runHandler(call, this.handlerFor(route, { call, caller, recordingsDir: this.opts.recordingsDir }));
  }

  private handlerFor(route: Exclude<Route, { kind: 'unknown' | 'refused' }>, ctx: HandlerContext): CallHandler {
    switch (route.kind) {
      case 'echo':
        return new EchoHandler(ctx);
      case 'record-playback':
        return new RecordPlaybackHandler(ctx);
      case 'user':
        return new ConnectHandler(ctx, { user: route.user }, this.connectOptions());
      case 'agent':
        return new ConnectHandler(ctx, { user: route.user }, this.connectOptions());
      case 'trunk':
        return new ConnectHandler(ctx, { trunk: route.trunk, number: route.number }, this.connectOptions());
      // A relay presents its own number and is always recorded (both sides, one channel each).
      case 'relay':
        return new ConnectHandler(
          ctx,
          { trunk: route.trunk, number: route.forwardTo },
          { ...this.connectOptions(), record: true, callerId: route.number },
        );
      // The callbacks' call_id is the stored record's id (the API's phone_call_id) when the record writer has one.
      case 'application':
        return this.opts.flows!.handler(ctx, {
          appId: String(route.appId),
          callback: route.callback,
          ...(ctx.call.recordId !== undefined ? { callId: String(ctx.call.recordId) } : {}),
        });
    }
  }

  private connectOptions() {
    return { dialer: this.dialer, recording: this.opts.recording, ringTimeoutMs: this.opts.ringTimeoutMs };
  }
}
