import type { Logger } from 'pino';
import type { InboundCall, SipApplication, SipLeg } from '../../sip/sip-app.js';
import { MediaOverloadError, type Endpoint, type MediaServer } from '../../media/index.js';
import { SdpNegotiationError } from '../../media/types.js';
import { Call } from './call.js';
import type { CallRegistry } from './call-registry.js';
import type { CallRouter, Route } from './router.js';
import { Leg } from './leg.js';
import { endpointKindForOffer, endpointKindForTransport } from './endpoint-kind.js';
import type { CallContext } from './handlers/context.js';
import { runEcho } from './handlers/echo.js';
import { runRecordPlayback } from './handlers/record-playback.js';
import { runConnect } from './handlers/connect.js';

export interface CallServiceOptions {
  sip: SipApplication;
  media: MediaServer;
  router: CallRouter;
  registry: CallRegistry;
  recordingsDir: string;
  recording: { enabled: boolean; sampleRate: number };
  ringTimeoutMs: number;
  logger: Logger;
}

/** Turns inbound INVITEs into calls: media session, routing, and the handler for the dialed number. */
export class CallService {
  constructor(private readonly opts: CallServiceOptions) {}

  /** Handlers still running (ringing a callee, playing a prompt...). */
  private readonly running = new Set<Promise<void>>();

  start(): void {
    this.opts.sip.on('call', (inbound) => {
      const run = this.onInbound(inbound).catch((err: unknown) => {
        this.opts.logger.error({ err, callId: inbound.callId }, 'inbound call failed');
      });
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    });
  }

  /**
   * Waits (at most `timeoutMs`) for running handlers to finish, so that after the calls were ended
   * their CANCELs and final responses go out before the SIP stack closes.
   */
  async drain(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
    clearTimeout(timer);
  }

  private async onInbound(inbound: InboundCall): Promise<void> {
    const { router, media, registry, logger } = this.opts;
    const dialed = inbound.to.user ?? '';
    const route = router.route(dialed);
    // A carrier's call to a number nobody here owns must not go straight back out (loops, toll fraud).
    const hairpin = route.kind === 'trunk' && inbound.origin.kind === 'trunk';
    if (route.kind === 'unknown' || hairpin) {
      inbound.reject(404, 'Not Found');
      return;
    }
    if (!inbound.offer) {
      inbound.reject(488, 'SDP offer required');
      return;
    }
    let session;
    try {
      session = await media.createSession();
    } catch (err) {
      const overloaded = err instanceof MediaOverloadError;
      logger.warn({ err, callId: inbound.callId }, overloaded ? 'media overloaded, refusing call' : 'media session failed');
      const retryAfter = overloaded ? { 'Retry-After': String(err.retryAfter) } : undefined;
      inbound.reject(503, overloaded ? 'Media Capacity Exceeded' : 'Media Unavailable', retryAfter);
      return;
    }
    const call = new Call(session, dialed, logger.child({ sipCallId: inbound.callId }));
    registry.add(call);
    let callerLeg: Leg | undefined;
    inbound.once('cancel', () => void call.end('caller canceled'));
    // A call that ends before the caller got its answer (shutdown, callee answered too late) must
    // still give the INVITE a final response; a no-op when it already has one.
    call.once('ended', ({ reason }) => inbound.reject(503, reason === 'shutdown' ? 'Shutting Down' : 'Service Unavailable'));

    let callerEp: Endpoint;
    let answerSdp: string;
    try {
      callerEp = await session.createEndpoint(endpointKindForOffer(inbound.offer));
      answerSdp = await callerEp.answer(inbound.offer);
    } catch (err) {
      const negotiation = err instanceof SdpNegotiationError;
      call.logger.warn({ err }, negotiation ? 'no common codec with the caller' : 'caller endpoint failed');
      // Out of RTP ports and the like: the caller may well succeed elsewhere or later.
      inbound.reject(negotiation ? 488 : 503, negotiation ? 'Not Acceptable Here' : 'Media Unavailable');
      await call.end(negotiation ? 'no common codec' : 'media error');
      return;
    }
    const ctx: CallContext = {
      call, inbound, callerEndpoint: callerEp, answerSdp, recordingsDir: this.opts.recordingsDir,
      answerCaller: async () => {
        if (call.isEnded()) return undefined;
        if (callerLeg) return callerLeg;
        let dialog: SipLeg;
        try {
          dialog = await inbound.answer(answerSdp);
        } catch (err) {
          // The caller left (CANCEL crossed our 200) or never ACKed: nothing left to connect.
          call.logger.info({ err }, 'caller could not be answered');
          await call.end('caller gone before answer');
          return undefined;
        }
        callerLeg = new Leg('caller', dialog, callerEp, call.logger);
        call.addLeg(callerLeg);
        call.markAnswered();
        return callerLeg;
      },
    };
    call.logger.info({ dialed, route: route.kind, origin: inbound.origin }, 'inbound call');
    try {
      await this.runRoute(route, ctx);
    } catch (err) {
      // A handler that throws must not leave the caller ringing or a leg up.
      call.logger.error({ err }, 'call handler failed');
      inbound.reject(500, 'Server Error');
      await call.end('handler failed');
    }
  }

  private async runRoute(route: Route, ctx: CallContext): Promise<void> {
    const { call, inbound } = ctx;
    switch (route.kind) {
      case 'echo': return runEcho(ctx);
      case 'record-playback': return runRecordPlayback(ctx);
      case 'user': {
        const binding = this.opts.sip.registrar.lookup(route.user)[0];
        if (!binding) {
          inbound.reject(480, 'Temporarily Unavailable');
          await call.end('callee not registered');
          return;
        }
        return runConnect(ctx, { user: route.user }, {
          sip: this.opts.sip, calleeKind: endpointKindForTransport(binding.source.transport), recording: this.opts.recording,
          ringTimeoutMs: this.opts.ringTimeoutMs,
        });
      }
      case 'trunk':
        return runConnect(ctx, { trunk: route.trunk, number: route.number }, {
          sip: this.opts.sip, calleeKind: 'rtp', recording: this.opts.recording, ringTimeoutMs: this.opts.ringTimeoutMs,
        });
    }
  }
}
