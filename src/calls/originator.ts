import type { Logger } from 'pino';
import { Call } from './call.js';
import type { CallRegistry } from './call-registry.js';
import { AnsweredParty } from './caller-invite.js';
import type { Dialer } from './dialer.js';
import type { DialTarget, MediaPort } from './ports.js';
import { ConnectHandler } from './handlers/connect.js';
import { runHandler, type CallHandler, type HandlerContext } from './handlers/handler.js';
import type { AppCallback } from './router.js';

/** An application's call flow to run on the answered party (Dials/Connect, `agent_id`). */
export interface FlowRequest {
  appId: string;
  callback: AppCallback;
  sessionData?: Record<string, unknown> | null;
}

/** What the originator needs of the flow engine (FlowEngine satisfies it; src/calls does not import src/flows). */
export interface FlowHandlers {
  handler(
    ctx: HandlerContext,
    start: FlowRequest & { callId?: string; customData?: Record<string, unknown> | null },
  ): CallHandler;
}

export interface OriginateRequest {
  /** The first party to ring: an agent's phone (`{ user }`), a trunk number, or a URI. */
  to: DialTarget;
  /** Caller ID presented to the parties. */
  from?: { user: string; displayName?: string };
  /** Once the first party answered, dial this one and bridge them; without it the call stays with one leg. */
  connect?: DialTarget;
  /** Once the first party answered, run this call flow on it (instead of `connect`). */
  flow?: FlowRequest;
  /** Through a trunk: our own number presented as the From user (the flow's `api_no`). */
  callerId?: string;
  /** Hang up this long after the answer (Voxology's `max_call_time`). */
  maxCallTimeMs?: number;
  /** Overrides the configured ring timeout (both dials). */
  ringTimeoutMs?: number;
  /** Records both parties whatever `recording.enabled` says (the API's `enable_recording`). */
  record?: boolean;
  /** The call's stored record, set before anyone hears of the call (the API inserted it first). */
  recordId?: number;
  /**
   * The call's stored record, inserted once the first INVITE left (`onSent`): the record writer
   * waits for it (undefined: the insert failed and the call is being ended, nothing is written).
   */
  pendingRecordId?: Promise<number | undefined>;
  /** The first party's INVITE left (or could not be sent). */
  onSent?: () => void;
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
  /** Runs `flow` requests; absent, they are refused before anything is dialed. */
  flows?: FlowHandlers;
}

export function describeTarget(t: DialTarget): string {
  return 'user' in t ? t.user : 'trunk' in t ? t.number : t.uri;
}

/** Places calls the API asks for: the first leg rings, then (optionally) a second party is connected. */
export class Originator {
  constructor(private readonly opts: OriginatorOptions) {}

  /** Whether `flow` requests can run here. */
  get runsFlows(): boolean {
    return this.opts.flows !== undefined;
  }

  async originate(req: OriginateRequest): Promise<Call> {
    const { media, registry, logger } = this.opts;
    if (req.flow && !this.opts.flows) throw new Error('no call-flow engine to run the flow');
    const call = new Call({
      direction: 'outbound',
      from: req.from?.user ?? '',
      to: describeTarget(req.to),
      route: 'api',
      logger,
    });
    call.recordId = req.recordId;
    call.pendingRecordId = req.pendingRecordId;
    // A refused session surfaces to the API as the error; the call never existed for anyone else.
    const session = await media.createSession();
    call.attachSession(session);
    registry.add(call);
    this.opts.track(this.run(call, req));
    return call;
  }

  private async run(call: Call, req: OriginateRequest): Promise<void> {
    const ringTimeoutMs = req.ringTimeoutMs ?? this.opts.ringTimeoutMs;
    const first = this.opts.dialer.dial(call, req.to, {
      role: 'caller',
      from: req.from,
      callerId: req.callerId,
      ringTimeoutMs,
      onSent: req.onSent,
    });
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
    if (req.maxCallTimeMs !== undefined && !call.isEnded()) {
      const limit = setTimeout(() => {
        void call.hangup({ reason: 'max_call_time reached', status: 'completed' });
      }, req.maxCallTimeMs);
      call.once('ending', () => clearTimeout(limit));
    }
    if (req.flow && this.opts.flows && !call.isEnded()) {
      const ctx = { call, caller: new AnsweredParty(outcome.leg, req.from), recordingsDir: this.opts.recordingsDir };
      await runHandler(
        call,
        this.opts.flows.handler(ctx, {
          ...req.flow,
          ...(req.recordId !== undefined ? { callId: String(req.recordId) } : {}),
        }),
      );
      return;
    }
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
