import { once } from 'node:events';
import { BorrowedSession } from './borrowed-session.js';
import { Call, type CallEndInfo, type DialedNumber } from './call.js';
import type { CallRegistry } from './call-registry.js';
import type { FinalCallStatus } from './call-status.js';
import { playbackLimit, type Dialer } from './dialer.js';
import type { Leg } from './leg.js';
import { describeTarget } from './originator.js';
import type { DialTarget, MediaEndpoint } from './ports.js';

export interface BridgedDialOptions {
  dialer: Dialer;
  registry: CallRegistry;
  target: DialTarget;
  /** Our number shown to the dialed party (already checked to be the project's). */
  callerId: string;
  ringTimeoutMs: number;
  /** The dialed call is hung up after this long connected. */
  maxCallTimeMs?: number;
  /** The project's number the dialed call is placed from (its record's project and number). */
  number?: DialedNumber;
}

export interface BridgedDialResult {
  /** `completed` once it was answered (then ended), else why it was not. */
  status: FinalCallStatus;
  answered: boolean;
  /** ms connected. */
  durationMs: number;
  /** The dialed call (its `recordId` once the record writer has one). */
  call: Call;
  reason: string;
}

/**
 * Rings a party from a live call (a flow's DIAL) and bridges the caller to it once answered. The
 * dialed party is a call of its own (route `flow-dial`: its own status, record and webhooks) whose
 * endpoint is made in the caller's media session, so the bridge stays in one worker. Resolves when
 * the dialed call is over: not answered, hung up by either side, `maxCallTimeMs`, or `signal`
 * (the caller hung up, the flow stopped): ringing is then CANCELled, an answered leg gets BYE. The
 * caller's call goes on, unbridged, for the rest of its flow.
 */
export async function dialAndBridge(
  parent: Call,
  caller: Leg,
  opts: BridgedDialOptions,
  signal: AbortSignal,
): Promise<BridgedDialResult> {
  const child = new Call(
    {
      direction: 'outbound',
      from: opts.callerId,
      to: describeTarget(opts.target),
      route: 'flow-dial',
      ...(opts.number ? { number: opts.number } : {}),
      logger: parent.logger.child({ parentCallId: parent.id }),
    },
    new BorrowedSession(parent.session),
  );
  const ended = once(child, 'ended') as Promise<[CallEndInfo]>;
  opts.registry.add(child);
  if (signal.aborted || parent.isEnded()) {
    await child.hangup({ status: 'canceled', sipStatus: 487, reason: 'caller left before the dial' });
    return result(child, false, (await ended)[0]);
  }
  const viaTrunk = 'trunk' in opts.target;
  const attempt = opts.dialer.dial(child, opts.target, {
    role: 'callee',
    // Through a trunk the caller ID goes where the carrier reads it; a phone sees it as From.
    from: { user: opts.callerId },
    ...(viaTrunk ? { callerId: opts.callerId } : {}),
    ringTimeoutMs: opts.ringTimeoutMs,
    ...playbackLimit(caller.endpoint),
  });
  let earlyEndpoint: MediaEndpoint | undefined;
  attempt.on('ringing', () => child.markRinging());
  attempt.on('early-media', ({ endpoint }) => {
    child.markRinging();
    if (caller.ended || signal.aborted) return;
    // The caller hears the far end's ringback or announcement while it rings.
    earlyEndpoint = endpoint;
    parent.session
      .bridge(caller.endpoint, endpoint)
      .catch((err: unknown) => child.logger.debug({ err }, 'early media bridge failed'));
  });
  let maxTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    // A CANCEL while it rings (a no-op once answered), a BYE once answered.
    attempt.cancel('caller hung up');
    void child.hangup({ status: 'canceled', sipStatus: 487, reason: 'caller hung up' });
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const outcome = await attempt.outcome;
    if (!outcome.answered) {
      await child.hangup({
        status: outcome.status,
        sipStatus: outcome.sipStatus,
        sipReason: outcome.reason,
        reason: `${outcome.sipStatus} ${outcome.reason}`,
      });
      return result(child, false, (await ended)[0]);
    }
    child.markAnswered();
    if (signal.aborted || caller.ended) {
      await child.hangup({ reason: 'caller hung up' });
      return result(child, true, (await ended)[0]);
    }
    if (earlyEndpoint !== outcome.leg.endpoint) await parent.session.bridge(caller.endpoint, outcome.leg.endpoint);
    child.logger.info({ target: describeTarget(opts.target) }, 'dialed party answered, bridged to the caller');
    if (opts.maxCallTimeMs !== undefined) {
      maxTimer = setTimeout(() => void child.hangup({ reason: 'max call time' }), opts.maxCallTimeMs);
    }
    return result(child, true, (await ended)[0]);
  } catch (err) {
    child.logger.warn({ err }, 'dial from the flow failed');
    await child.hangup({ status: 'failed', sipStatus: 500, reason: 'dial failed' });
    return result(child, child.answeredAt !== undefined, (await ended)[0]);
  } finally {
    clearTimeout(maxTimer);
    signal.removeEventListener('abort', onAbort);
  }
}

function result(call: Call, answered: boolean, info: CallEndInfo): BridgedDialResult {
  return { status: info.status, answered, durationMs: info.durationMs, call, reason: info.reason };
}
