import type { Logger } from 'pino';
import type { InboundCall, SipApplication } from '../../sip/sip-app.js';
import { MediaOverloadError, type MediaServer } from '../../media/index.js';
import { SdpNegotiationError } from '../../media/types.js';
import { Call } from './call.js';
import type { CallRegistry } from './call-registry.js';
import type { CallRouter } from './router.js';
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
  logger: Logger;
}

/** Turns inbound INVITEs into calls: media session, routing, and the handler for the dialed number. */
export class CallService {
  constructor(private readonly opts: CallServiceOptions) {}

  start(): void {
    this.opts.sip.on('call', (inbound) => {
      this.onInbound(inbound).catch((err: unknown) => {
        this.opts.logger.error({ err, callId: inbound.callId }, 'inbound call failed');
      });
    });
  }

  private async onInbound(inbound: InboundCall): Promise<void> {
    const { router, media, registry, logger } = this.opts;
    const dialed = inbound.to.user ?? '';
    const route = router.route(dialed);
    if (route.kind === 'unknown') {
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

    const callerEp = await session.createEndpoint(endpointKindForOffer(inbound.offer));
    let answerSdp: string;
    try {
      answerSdp = await callerEp.answer(inbound.offer);
    } catch (err) {
      const negotiation = err instanceof SdpNegotiationError;
      inbound.reject(negotiation ? 488 : 500, negotiation ? 'Not Acceptable Here' : 'Server Error');
      await call.end(negotiation ? 'no common codec' : 'media error');
      return;
    }
    const ctx: CallContext = {
      call, inbound, callerEndpoint: callerEp, answerSdp, recordingsDir: this.opts.recordingsDir,
      answerCaller: async () => {
        if (call.state === 'ended') return undefined;
        if (callerLeg) return callerLeg;
        const dialog = await inbound.answer(answerSdp);
        callerLeg = new Leg('caller', dialog, callerEp, call.logger);
        call.addLeg(callerLeg);
        call.markAnswered();
        return callerLeg;
      },
    };
    call.logger.info({ dialed, route: route.kind, origin: inbound.origin }, 'inbound call');
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
        });
      }
      case 'trunk':
        return runConnect(ctx, { trunk: route.trunk, number: route.number }, {
          sip: this.opts.sip, calleeKind: 'rtp', recording: this.opts.recording,
        });
    }
  }
}
