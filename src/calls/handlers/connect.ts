import { join } from 'node:path';
import { playbackLimit, type Dialer, type OutboundLeg } from '../dialer.js';
import type { DialTarget, MediaEndpoint } from '../ports.js';
import type { CallHandler, HandlerContext } from './handler.js';

export interface ConnectOptions {
  dialer: Dialer;
  recording: { enabled: boolean; sampleRate: number };
  /** How long the callee may ring before the attempt is cancelled and the caller gets 480. */
  ringTimeoutMs: number;
  /** Record this call (both channels); decided per call by whoever routes it. Default: `recording.enabled`. */
  record?: boolean;
  /** Through a trunk: our own number presented as caller ID (a relay DID) instead of the caller's. */
  callerId?: string;
}

/** Statuses worth passing back to the caller as they are; anything else becomes 480. */
const RELAYED = new Set([403, 404, 408, 480, 484, 486, 487, 488, 600, 603, 604]);

/**
 * Rings the callee with our own offer, answers the caller only once the callee answered, then
 * bridges the two endpoints (and records both channels when recording is on).
 */
export class ConnectHandler implements CallHandler {
  private outbound: OutboundLeg | undefined;
  private stopped = false;
  /** The bridge, made early when the callee sends early media. */
  private bridged: Promise<void> | undefined;
  /** The callee endpoint bridged early (with forked contacts, another contact may answer). */
  private earlyEndpoint: MediaEndpoint | undefined;

  constructor(
    private readonly ctx: HandlerContext,
    private readonly target: DialTarget,
    private readonly opts: ConnectOptions,
  ) {}

  stop(): void {
    this.stopped = true;
    this.outbound?.cancel('call ended');
  }

  async run(): Promise<void> {
    const { call, caller, recordingsDir } = this.ctx;
    if (this.stopped) return;
    const outbound = this.opts.dialer.dial(call, this.target, {
      role: 'callee',
      from: this.opts.callerId ? undefined : caller.from,
      callerId: this.opts.callerId,
      ringTimeoutMs: this.opts.ringTimeoutMs,
      ...playbackLimit(caller.endpoint),
    });
    this.outbound = outbound;
    outbound.on('ringing', () => {
      if (!this.bridged) caller.ringing();
    });
    outbound.on('early-media', ({ endpoint }) => {
      const callerEp = caller.endpoint;
      if (!callerEp || this.bridged || call.isEnded()) return;
      // Bridged before anyone answered, so the caller hears the callee's ringback or announcement.
      this.earlyEndpoint = endpoint;
      this.bridged = call.session.bridge(callerEp, endpoint).then(() => caller.earlyMedia());
      this.bridged.catch((err: unknown) => call.logger.warn({ err }, 'early media bridge failed'));
    });
    const outcome = await outbound.outcome;
    if (!outcome.answered) {
      const timeout = outcome.cause === 'timeout';
      // A callee's odd failure (5xx, 3xx...) is not the caller's business: they hear 480.
      const sipStatus = timeout || !RELAYED.has(outcome.sipStatus) ? 480 : outcome.sipStatus;
      const sipReason = timeout ? 'No Answer' : sipStatus === outcome.sipStatus ? outcome.reason : undefined;
      const reason = timeout ? 'no answer' : `callee ${outcome.sipStatus}`;
      await call.hangup({ status: outcome.status, sipStatus, sipReason, reason });
      return;
    }
    const callerLeg = await caller.answer();
    if (!callerLeg) return;
    const calleeEp = outcome.leg.endpoint;
    // With forked contacts, another contact than the one that played early media may have answered.
    if (this.bridged && this.earlyEndpoint === calleeEp) await this.bridged;
    else await call.session.bridge(callerLeg.endpoint, calleeEp);
    if ((this.opts.record ?? this.opts.recording.enabled) && !call.isEnded()) {
      const path = join(recordingsDir, `${call.id}.wav`);
      const recording = await call.session.record(path, [callerLeg.endpoint, calleeEp], {
        sampleRate: this.opts.recording.sampleRate,
      });
      call.recordingStarted(path);
      call.logger.info({ path }, 'recording');
      // Announced once the WAV is complete, so consumers (call records, webhooks) never read a partial file.
      const finish = () =>
        void recording.stop().then(
          (r) => call.emit('recording', { path: r.path }),
          (err: unknown) => call.logger.warn({ err, path }, 'recording could not be finished'),
        );
      if (call.isEnded()) finish();
      else call.once('ending', finish);
    }
  }
}
