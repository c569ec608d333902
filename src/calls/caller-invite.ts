import type { Call } from './call.js';
import { sipForStatus, type FinalCallStatus, type HangupCause } from './call-status.js';
import { Leg } from './leg.js';
import type { InboundInvite, MediaEndpoint, SipDialog } from './ports.js';

/**
 * The party a handler talks to first: the caller of an inbound INVITE, or (for a call the API
 * placed) the first leg once it answered. Handlers ring and answer it; they never reject it.
 */
export interface CallerParty {
  readonly from?: { user: string; displayName?: string };
  /** The party's media endpoint, once known (early media is bridged to it before the answer). */
  readonly endpoint: MediaEndpoint | undefined;
  /** Tells the party the call is progressing (180). */
  ringing(): void;
  /** 183 with our answer: the party hears what its endpoint is sent (the callee's early media). */
  earlyMedia(): void;
  /** The party's leg, answering it first if needed; undefined when it left meanwhile. */
  answer(): Promise<Leg | undefined>;
}

/**
 * The single owner of the caller's INVITE. It sends its one final response: 200 through
 * `answer()`, or, when the call ends unanswered, the SIP status the call ended with (486, 480,
 * 503 with Retry-After...). A caller's CANCEL ends the call `canceled` (the SIP stack sends 487).
 */
export class CallerInvite implements CallerParty {
  /** The final status sent to the INVITE (or 487 after a CANCEL); undefined until then. */
  finalStatus: number | undefined;
  endpoint: MediaEndpoint | undefined;
  private answerSdp: string | undefined;
  private leg: Leg | undefined;

  constructor(
    private readonly call: Call,
    readonly invite: InboundInvite,
  ) {
    invite.once('cancel', () => {
      this.finalStatus ??= 487;
      void call.hangup({ status: 'canceled', sipStatus: 487, reason: 'caller canceled' });
    });
    call.once('ending', (cause) => this.reject(cause));
  }

  get from(): { user: string; displayName?: string } | undefined {
    const { user, displayName } = this.invite.from;
    return user ? { user, displayName } : undefined;
  }

  get settled(): boolean {
    return this.finalStatus !== undefined;
  }

  /** The caller's endpoint and our answer to its offer, ready before anyone else is rung. */
  setMedia(endpoint: MediaEndpoint, answerSdp: string): void {
    this.endpoint = endpoint;
    this.answerSdp = answerSdp;
  }

  /**
   * 183 Session Progress with our answer, before anyone else is rung: a browser caller (whose
   * page plays no local ringback) then runs ICE and DTLS while the callee is reached, and its
   * audio flows the moment the call is answered instead of a connection set-up later. Nothing is
   * bridged to it yet, so it hears nothing until early media or the answer; the call is not
   * marked ringing by this.
   */
  sessionProgress(): void {
    if (this.settled || this.call.isEnded() || this.answerSdp === undefined) return;
    this.invite.ringing(this.answerSdp);
  }

  ringing(): void {
    if (this.settled || this.call.isEnded()) return;
    this.call.markRinging();
    this.invite.ringing();
  }

  earlyMedia(): void {
    if (this.settled || this.call.isEnded() || this.answerSdp === undefined) return;
    this.call.markRinging();
    this.invite.ringing(this.answerSdp);
  }

  async answer(): Promise<Leg | undefined> {
    if (this.leg) return this.leg;
    if (this.settled || this.call.isEnded()) return undefined;
    if (!this.endpoint || this.answerSdp === undefined) throw new Error('caller media not ready');
    this.finalStatus = 200;
    let dialog: SipDialog;
    try {
      dialog = await this.invite.answer(this.answerSdp);
    } catch (err) {
      // The caller left (CANCEL crossed our 200) or never ACKed: nothing left to connect.
      const status = (err as { status?: number }).status;
      this.call.logger.info({ err }, 'caller could not be answered');
      await this.call.hangup({ status: 'canceled', sipStatus: status ?? 487, reason: 'caller gone before answer' });
      return undefined;
    }
    const leg = new Leg('caller', dialog, this.endpoint, this.call.logger);
    this.leg = leg;
    this.call.addLeg(leg);
    if (this.call.isEnded()) return undefined;
    this.call.markAnswered();
    return leg;
  }

  private reject(cause: HangupCause): void {
    if (this.settled) return;
    // By now the call carries its final status (hangup sets it before `ending`).
    const fallback = sipForStatus(this.call.status as FinalCallStatus);
    const status = cause.sipStatus ?? fallback.status;
    const reason = cause.sipStatus !== undefined ? cause.sipReason : fallback.reason;
    this.finalStatus = status;
    this.invite.reject(status, reason, cause.headers);
    // The endpoint never joined a leg; release it here.
    void this.endpoint?.close().catch(() => undefined);
  }
}

/** An already answered leg as the first party (a call the API placed, once its first leg answered). */
export class AnsweredParty implements CallerParty {
  constructor(
    private readonly leg: Leg,
    readonly from?: { user: string; displayName?: string },
  ) {}
  get endpoint(): MediaEndpoint {
    return this.leg.endpoint;
  }
  ringing(): void {
    /* already answered: nothing to tell */
  }
  /** Already answered: once bridged, the party simply hears the early media. */
  earlyMedia(): void {}
  async answer(): Promise<Leg | undefined> {
    return this.leg.ended ? undefined : this.leg;
  }
}
