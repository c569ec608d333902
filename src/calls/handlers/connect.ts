import { join } from 'node:path';
import type { SipApplication, SipLeg } from '../../../sip/sip-app.js';
import type { EndpointKind } from '../../../media/types.js';
import { Leg } from '../leg.js';
import type { CallContext } from './context.js';

export type ConnectTarget = { user: string } | { trunk: string; number: string };

export interface ConnectOptions {
  sip: SipApplication;
  calleeKind: EndpointKind;
  recording: { enabled: boolean; sampleRate: number };
  /** How long the callee may ring before the attempt is cancelled and the caller gets 480. */
  ringTimeoutMs: number;
}

/** Statuses worth passing back to the caller as they are; anything else becomes 480. */
const RELAYED = new Set([403, 404, 408, 480, 484, 486, 487, 488, 600, 603, 604]);

/**
 * Rings the callee with our own offer, answers the caller only once the callee answers, then
 * bridges the two endpoints (and records both channels when recording is on).
 */
export async function runConnect(ctx: CallContext, target: ConnectTarget, opts: ConnectOptions): Promise<void> {
  const { call, inbound } = ctx;
  const session = call.session;
  const calleeEp = await session.createEndpoint(opts.calleeKind);
  const offer = await calleeEp.createOffer();
  const from = inbound.from.user ? { user: inbound.from.user, displayName: inbound.from.displayName } : undefined;
  const outbound = opts.sip.dial('user' in target ? { user: target.user } : target, {
    sdp: offer,
    from,
    onProgress: (status) => { if (status === 180 || status === 183) inbound.ringing(); },
  });
  // The caller's CANCEL, or the call ending any other way (shutdown, media failure), stops the ringing.
  const abandon = () => outbound.cancel();
  inbound.once('cancel', abandon);
  call.once('ended', abandon);
  let noAnswer = false;
  const ringTimer = setTimeout(() => {
    noAnswer = true;
    call.logger.info({ ringTimeoutMs: opts.ringTimeoutMs }, 'no answer, cancelling the callee');
    outbound.cancel();
  }, opts.ringTimeoutMs);

  let calleeDialog: SipLeg;
  try {
    calleeDialog = await outbound.leg;
  } catch (err) {
    const status = (err as { status?: number }).status ?? 500;
    call.logger.info({ status }, 'callee did not answer');
    if (!call.isEnded()) {
      // After our own CANCEL the callee says 487, which is not the caller's to hear.
      if (noAnswer) inbound.reject(480, 'No Answer');
      else inbound.reject(RELAYED.has(status) ? status : 480);
      await calleeEp.close().catch(() => undefined);
      await call.end(noAnswer ? 'no answer' : `callee ${status}`);
    }
    return;
  } finally {
    clearTimeout(ringTimer);
    inbound.off('cancel', abandon);
    call.off('ended', abandon);
  }
  if (noAnswer && !call.isEnded()) {
    // The callee's 200 crossed our CANCEL: too late, the caller is told there was no answer.
    await calleeDialog.hangup();
    inbound.reject(480, 'No Answer');
    await calleeEp.close().catch(() => undefined);
    await call.end('no answer');
    return;
  }
  if (call.isEnded()) {
    // The callee answered just as the call ended: nobody is left to talk to.
    await calleeDialog.hangup();
    return;
  }
  const calleeLeg = new Leg('callee', calleeDialog, calleeEp, call.logger);
  call.addLeg(calleeLeg);
  try {
    await calleeEp.setRemoteAnswer(calleeDialog.remoteSdp);
  } catch (err) {
    call.logger.warn({ err }, 'callee answer unusable');
    inbound.reject(488);
    await call.end('callee answer unusable');
    return;
  }

  const callerLeg = await ctx.answerCaller();
  if (!callerLeg) return;
  await session.bridge(callerLeg.endpoint, calleeEp);
  if (opts.recording.enabled) {
    const path = join(ctx.recordingsDir, `${call.id}.wav`);
    const recording = await session.record(path, [callerLeg.endpoint, calleeEp], { sampleRate: opts.recording.sampleRate });
    call.once('ended', () => void recording.stop().catch(() => undefined));
    call.logger.info({ path }, 'recording');
  }
}
