import type { Call } from './call.js';
import type { Dialer } from './dialer.js';
import type { DialTarget, MediaEndpoint, MediaMixer } from './ports.js';

export interface MonitorOptions {
  dialer: Dialer;
  ringTimeoutMs: number;
  /** Caller ID the supervisor sees. */
  from?: { user: string; displayName?: string };
}

/** Why a supervisor could not be dialed into a call. */
export class MonitorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MonitorError';
  }
}

/**
 * Dials a supervisor into a live two-party call, listen-only. Once the supervisor answers, the two
 * parties move from their bridge into a mixer (they keep hearing each other through it) and the
 * supervisor joins it in the listen role: hears both, is heard by nobody. Resolves with the dial's
 * outcome; a supervisor leg ending leaves the call up (the `monitor` role).
 */
export async function addMonitor(
  call: Call,
  target: DialTarget,
  opts: MonitorOptions,
): Promise<{ answered: boolean; reason?: string }> {
  const caller = call.legs.find((l) => l.role === 'caller' && !l.ended);
  const callee = call.legs.find((l) => l.role === 'callee' && !l.ended);
  if (call.isEnded() || !caller || !callee)
    throw new MonitorError('the call is not connected (both parties must be on the line)');
  const attempt = opts.dialer.dial(call, target, { role: 'monitor', from: opts.from, ringTimeoutMs: opts.ringTimeoutMs });
  const cancel = (): void => attempt.cancel('call ended');
  call.once('ending', cancel);
  const outcome = await attempt.outcome;
  call.off('ending', cancel);
  if (!outcome.answered) return { answered: false, reason: `${outcome.sipStatus} ${outcome.reason}` };
  if (call.isEnded() || caller.ended || callee.ended) {
    await outcome.leg.hangup({ by: 'local', reason: 'call ended' });
    return { answered: false, reason: 'call ended' };
  }
  await (await mixerOf(call)).add(outcome.leg.endpoint, { listenOnly: true });
  call.logger.info({ target }, 'supervisor listening');
  return { answered: true };
}

/**
 * The call's mixer, made on first use by moving its two parties out of their bridge (they keep
 * hearing each other through it). Supervisors and embed participants all join this one.
 */
export function mixerOf(call: Call): Promise<MediaMixer> {
  let mixer = mixers.get(call);
  if (!mixer) {
    const caller = call.legs.find((l) => l.role === 'caller' && !l.ended);
    const callee = call.legs.find((l) => l.role === 'callee' && !l.ended);
    if (call.isEnded() || !caller || !callee)
      return Promise.reject(new MonitorError('the call is not connected (both parties must be on the line)'));
    // Kept as a promise so that two joining together share one mixer.
    mixer = moveIntoMixer(call, caller.endpoint, callee.endpoint);
    mixers.set(call, mixer);
  }
  return mixer;
}

/** One mixer per call with listeners or extra talkers: each newcomer joins the same one. */
const mixers = new WeakMap<Call, Promise<MediaMixer>>();

async function moveIntoMixer(call: Call, a: MediaEndpoint, b: MediaEndpoint): Promise<MediaMixer> {
  const session = call.session;
  const mixer = await session.createMixer();
  // The parties leave their bridge for the mixer, where they keep hearing each other.
  await session.unbridge(a, b);
  await mixer.add(a);
  await mixer.add(b);
  return mixer;
}
