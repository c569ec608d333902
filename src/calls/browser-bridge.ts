import { Call } from './call.js';
import { AnsweredParty, CallerInvite } from './caller-invite.js';
import { endpointKindForOffer } from './endpoint-kind.js';
import { ConnectHandler } from './handlers/connect.js';
import { runHandler } from './handlers/handler.js';
import { describeTarget, type OriginatorOptions } from './originator.js';
import type { DialTarget, InboundInvite } from './ports.js';

export interface BrowserBridgeOptions extends Omit<OriginatorOptions, 'track'> {
  /** How long a call waits for its agent before it ends `canceled`. */
  joinTimeoutMs: number;
  /** The project of an agent (by SIP username), to check who joins. */
  agentProject(username: string): Promise<number | undefined>;
}

export interface WaitRequest {
  recordId: number;
  projectId: number;
  telephonyRef: string;
  recipient: DialTarget;
  /** Caller ID the recipient sees (one of the project's numbers). */
  from: { user: string };
  record?: boolean;
}

/** The Request-URI user an agent dials to join a waiting call. */
export const joinUser = (telephonyRef: string): string => `join-${telephonyRef}`;
const JOIN = /^join-(CA[0-9a-f]{32})$/;

interface Waiting {
  call: Call;
  req: WaitRequest;
  timer: NodeJS.Timeout;
}

/**
 * Browser-mode bridges (`vendeur_mode: "browser"`): the call waits, `queued`, for an agent of its
 * project to join by dialing `join-<telephony_ref>` from a registered phone or browser (the SIP
 * stack has authenticated who dials). The joining INVITE is answered, then the recipient is dialed
 * through the trunk and bridged to it. Nobody joining within the timeout ends the call `canceled`.
 */
export class BrowserBridges {
  private readonly waiting = new Map<string, Waiting>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly opts: BrowserBridgeOptions) {}

  /** Creates the waiting call (media reserved now, so a join is answered at once). Rejects with the media error. */
  async wait(req: WaitRequest): Promise<Call> {
    const call = new Call({
      direction: 'outbound',
      from: req.from.user,
      to: describeTarget(req.recipient),
      route: 'api-browser',
      logger: this.opts.logger,
    });
    call.recordId = req.recordId;
    call.attachSession(await this.opts.media.createSession());
    const timer = setTimeout(() => {
      void call.hangup({ status: 'canceled', reason: `no agent joined within ${Math.round(this.opts.joinTimeoutMs / 1000)} s` });
    }, this.opts.joinTimeoutMs);
    this.waiting.set(req.telephonyRef, { call, req, timer });
    call.once('ending', () => {
      clearTimeout(timer);
      if (this.waiting.get(req.telephonyRef)?.call === call) this.waiting.delete(req.telephonyRef);
    });
    this.opts.registry.add(call);
    return call;
  }

  /** Takes an INVITE addressed to `join-<telephony_ref>`; false for any other INVITE. */
  claim(invite: InboundInvite): boolean {
    const ref = JOIN.exec(invite.to.user ?? '')?.[1];
    if (!ref) return false;
    this.track(invite, this.join(invite, ref, true));
    return true;
  }

  private track(invite: InboundInvite, join: Promise<void>): void {
    const run = join.catch((err: unknown) => {
      this.opts.logger.error({ err, sipCallId: invite.callId }, 'join failed');
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Is this call still waiting for its agent? */
  isWaiting(telephonyRef: string): boolean {
    return this.waiting.has(telephonyRef);
  }

  /**
   * Takes an INVITE already authorized to be this call's agent (an embed page's, whose signed
   * session named the call); false when the call no longer waits.
   */
  admit(invite: InboundInvite, telephonyRef: string): boolean {
    if (!this.waiting.has(telephonyRef)) return false;
    this.track(invite, this.join(invite, telephonyRef, false));
    return true;
  }

  /** Waits for joins in progress (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /** `checkAgent`: the caller must be an agent of the call's project (an embed was authorized by its session instead). */
  private async join(invite: InboundInvite, ref: string, checkAgent: boolean): Promise<void> {
    const w = this.waiting.get(ref);
    // The same answer for an unknown, ended or already joined call: nothing to learn by guessing refs.
    if (!w || invite.origin.kind !== 'user') {
      invite.reject(404, 'Not Found');
      return;
    }
    if (checkAgent && (await this.opts.agentProject(invite.origin.user)) !== w.req.projectId) {
      invite.reject(403, 'Forbidden');
      return;
    }
    if (!invite.offer) {
      invite.reject(488, 'SDP offer required');
      return;
    }
    if (this.waiting.get(ref) !== w) {
      invite.reject(404, 'Not Found');
      return;
    }
    this.waiting.delete(ref);
    clearTimeout(w.timer);
    const { call, req } = w;
    call.logger.info({ agent: invite.origin.user }, 'agent joined');
    const caller = new CallerInvite(call, invite);
    try {
      const ep = await call.session.createEndpoint(endpointKindForOffer(invite.offer));
      caller.setMedia(ep, await ep.answer(invite.offer));
    } catch (err) {
      call.logger.warn({ err }, 'agent endpoint failed');
      await call.hangup({ status: 'failed', sipStatus: 488, sipReason: 'Not Acceptable Here', reason: 'agent media failed' });
      return;
    }
    const leg = await caller.answer();
    if (!leg) return;
    const record = req.record ? { ...this.opts.recording, enabled: true } : this.opts.recording;
    const handler = new ConnectHandler(
      { call, caller: new AnsweredParty(leg, req.from), recordingsDir: this.opts.recordingsDir },
      req.recipient,
      {
        dialer: this.opts.dialer,
        recording: record,
        ringTimeoutMs: this.opts.ringTimeoutMs,
      },
    );
    await runHandler(call, handler);
  }
}
