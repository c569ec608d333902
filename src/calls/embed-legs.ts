/**
 * An embed page joining a live call as an extra party: `talker` (heard by everyone) or `monitor`
 * (listen-only). The role is applied by the mixer, so a listen page that sends audio anyway is
 * still heard by nobody. The INVITE waits (ringing) until both parties of the call are on the line.
 */
import type { Call } from './call.js';
import { endpointKindForOffer } from './endpoint-kind.js';
import { Leg } from './leg.js';
import { mixerOf } from './monitor.js';
import type { InboundInvite, MediaEndpoint } from './ports.js';

export interface JoinOptions {
  role: 'talker' | 'monitor';
  /** How long the INVITE may wait for the call to connect before it is refused 480. */
  connectTimeoutMs: number;
}

const connected = (call: Call): boolean =>
  !call.isEnded() &&
  call.legs.some((l) => l.role === 'caller' && !l.ended) &&
  call.legs.some((l) => l.role === 'callee' && !l.ended);

/** Resolves true once both parties are on the line; false if the call ends, the caller gives up or time runs out. */
function whenConnected(call: Call, invite: InboundInvite, timeoutMs: number): Promise<boolean> {
  if (connected(call)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      call.off('leg-added', check);
      call.off('ending', gone);
      invite.off('cancel', gone);
      resolve(ok);
    };
    const check = (): void => {
      if (connected(call)) done(true);
    };
    const gone = (): void => done(false);
    const timer = setTimeout(gone, timeoutMs);
    call.on('leg-added', check);
    call.once('ending', gone);
    invite.once('cancel', gone);
  });
}

/** Answers the embed's INVITE into the call's mixer in `role`; resolves once joined (or refused). */
export async function joinParticipant(call: Call, invite: InboundInvite, opts: JoinOptions): Promise<void> {
  if (!invite.offer) {
    invite.reject(488, 'SDP offer required');
    return;
  }
  if (!connected(call)) {
    invite.ringing();
    if (!(await whenConnected(call, invite, opts.connectTimeoutMs))) {
      invite.reject(480, 'Temporarily Unavailable');
      return;
    }
  }
  let endpoint: MediaEndpoint | undefined;
  let leg: Leg;
  try {
    endpoint = await call.session.createEndpoint(endpointKindForOffer(invite.offer));
    const sdp = await endpoint.answer(invite.offer);
    const dialog = await invite.answer(sdp);
    leg = new Leg(opts.role, dialog, endpoint, call.logger);
  } catch (err) {
    invite.reject(488, 'Not Acceptable Here');
    await endpoint?.close().catch(() => undefined);
    throw err;
  }
  call.addLeg(leg);
  if (call.isEnded()) return;
  const mixer = await mixerOf(call);
  await mixer.add(leg.endpoint, { listenOnly: opts.role === 'monitor' });
  leg.once('ended', () => void mixer.remove(leg.endpoint).catch(() => undefined));
  call.logger.info({ role: opts.role }, 'embed participant joined');
}
