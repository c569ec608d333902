import type { Logger } from 'pino';
import { Call } from './call.js';
import type { CallRegistry } from './call-registry.js';
import { AnsweredParty } from './caller-invite.js';
import type { Dialer } from './dialer.js';
import type { DialTarget, MediaPort } from './ports.js';
import { ConnectHandler } from './handlers/connect.js';
import { runHandler } from './handlers/handler.js';

export interface OriginateRequest {
  /** The first party to ring: an agent's phone (`{ user }`), a trunk number, or a URI. */
  to: DialTarget;
  /** Caller ID presented to the parties. */
  from?: { user: string; displayName?: string };
  /** Once the first party answered, dial this one and bridge them; without it the call stays with one leg. */
  connect?: DialTarget;
  /** Overrides the configured ring timeout (both dials). */
  ringTimeoutMs?: number;
  /** Records both parties whatever `recording.enabled` says (the API's `enable_recording`). */
  record?: boolean;
  /** The call's stored record, set before anyone hears of the call (the API inserted it first). */
  recordId?: number;
}

export interface OriginatorOptions {
  media: MediaPort;
  registry: CallRegistry;
  dialer: Dialer;
  recording: { enabled: boolean; sampleRate: number };
  recordingsDir: string;
  ringTimeoutMs: number;
  logger: Logger;
  /** Keeps the dialing visible to CallService.drain(). */
  track: (run: Promise<void>) => void;
}

export function describeTarget(t: DialTarget): string {
  return 'user' in t ? t.user : 'trunk' in t ? t.number : t.uri;
}

/** Places calls the API asks for: the first leg rings, then (optionally) a second party is connected. */
export class Originator {
  constructor(private readonly opts: OriginatorOptions) {}

  async originate(req: OriginateRequest): Promise<Call> {
    const { media, registry, logger } = this.opts;
    const call = new Call({
      direction: 'outbound',
      from: req.from?.user ?? '',
      to: describeTarget(req.to),
      route: 'api',
      logger,
    });
    call.recordId = req.recordId;
    // A refused session surfaces to the API as the error; the call never existed for anyone else.
    const session = await media.createSession();
    call.attachSession(session);
    registry.add(call);
    this.opts.track(this.run(call, req));
    return call;
  }

  private async run(call: Call, req: OriginateRequest): Promise<void> {
    const ringTimeoutMs = req.ringTimeoutMs ?? this.opts.ringTimeoutMs;
    const first = this.opts.dialer.dial(call, req.to, { role: 'caller', from: req.from, ringTimeoutMs });
    const cancel = () => first.cancel('call ended');
    call.once('ending', cancel);
    first.on('ringing', () => call.markRinging());
    const outcome = await first.outcome;
    call.off('ending', cancel);
    if (!outcome.answered) {
      await call.hangup({
        status: outcome.status,
        sipStatus: outcome.sipStatus,
        sipReason: outcome.reason,
        reason: `${outcome.sipStatus} ${outcome.reason}`,
      });
      return;
    }
    call.markAnswered();
    if (!req.connect || call.isEnded()) return;
    const handler = new ConnectHandler(
      { call, caller: new AnsweredParty(outcome.leg, req.from), recordingsDir: this.opts.recordingsDir },
      req.connect,
      {
        dialer: this.opts.dialer,
        recording: req.record ? { ...this.opts.recording, enabled: true } : this.opts.recording,
        ringTimeoutMs,
      },
    );
    await runHandler(call, handler);
  }
}
