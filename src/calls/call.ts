import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Leg, LegEndInfo, LegRole } from './leg.js';
import type { CallInfo } from './call-info.js';
import type { MediaSessionPort } from './ports.js';
import {
  FINAL_STATUSES,
  sipForStatus,
  statusForSip,
  type CallStatus,
  type FinalCallStatus,
  type HangupCause,
} from './call-status.js';
import type { CallbackFailure } from '../store/index.js';

/** The older, coarser view of the status, kept for callers that only ask "answered yet?". */
export type CallState = 'setup' | 'active' | 'ended';

export interface CallStatusEvent {
  status: CallStatus;
  previous: CallStatus;
  sipStatus?: number;
  reason?: string;
}

export interface CallEndInfo {
  status: FinalCallStatus;
  reason: string;
  sipStatus: number;
  durationMs: number;
}

/** A project's number (DID) an inbound call was routed by; a relay's also names where it forwards. */
export interface DialedNumber {
  e164: string;
  projectId: number;
  forwardTo?: string;
}

export interface CallInit {
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  /** What runs the call (route kind, `api`...), for the outcome log and the record. */
  route?: string;
  /** The project DID the call came in on, as routing resolved it (the record's project and number). */
  number?: DialedNumber;
  /** The caller's Call-ID for an inbound call, so an operator can find the SIP trace. */
  sipCallId?: string;
  logger: Logger;
}

export interface CallEvents {
  status: [CallStatusEvent];
  answered: [];
  /** The call is ending: the terminal status is set, legs are being hung up. */
  ending: [HangupCause];
  ended: [CallEndInfo];
  'leg-added': [Leg];
  'leg-removed': [Leg];
  /** The call's recording is final on disk (one channel per side); may come just after `ended`. */
  recording: [{ path: string }];
  /** A call-flow callback got no usable answer at its URL (may come after `ended`: the final callback). */
  'callback-failed': [CallbackFailure];
  /** An application event a party sent in the call (SIP INFO, screened by call-info.ts). */
  info: [CallInfo & { role: LegRole }];
}

/**
 * A call: its status (queued -> ringing -> in-progress -> completed, or busy / no-answer / failed /
 * canceled), its legs and the media session anchoring their audio. Any leg ending ends the call;
 * `hangup()` works in any status, hangs up every leg, closes the session and logs the outcome once.
 */
export class Call extends EventEmitter<CallEvents> {
  readonly id = randomUUID();
  readonly legs: Leg[] = [];
  readonly createdAt = Date.now();
  readonly direction: 'inbound' | 'outbound';
  readonly from: string;
  readonly to: string;
  readonly route: string | undefined;
  readonly number: DialedNumber | undefined;
  readonly logger: Logger;
  answeredAt: number | undefined;
  endedAt: number | undefined;
  /** SIP status of the outcome once the call ended: 200 if it was answered, else what the caller heard (or would have). */
  sipStatus: number | undefined;
  endReason: string | undefined;
  /** The call's stored record (the API's `phone_call_id`), once the record writer has one. */
  recordId: number | undefined;
  /** A record being inserted for the call (an API call, after its INVITE left); see `OriginateRequest`. */
  pendingRecordId: Promise<number | undefined> | undefined;
  /** Where the call's recording is written, once one started. */
  recordingPath: string | undefined;
  private _status: CallStatus = 'queued';
  private _session: MediaSessionPort | undefined;
  private ending: Promise<void> | undefined;

  constructor(init: CallInit, session?: MediaSessionPort) {
    super();
    this.direction = init.direction;
    this.from = init.from;
    this.to = init.to;
    this.route = init.route;
    this.number = init.number;
    this._session = session;
    this.logger = init.logger.child({ callId: this.id, ...(init.sipCallId ? { sipCallId: init.sipCallId } : {}) });
  }

  get status(): CallStatus {
    return this._status;
  }
  /** The number or user that was dialed (same as `to`). */
  get dialed(): string {
    return this.to;
  }
  get state(): CallState {
    if (FINAL_STATUSES.has(this._status)) return 'ended';
    return this._status === 'in-progress' ? 'active' : 'setup';
  }

  /** The call's media session; calls refused before media was reserved have none. */
  get session(): MediaSessionPort {
    if (!this._session) throw new Error(`call ${this.id} has no media session`);
    return this._session;
  }
  get hasSession(): boolean {
    return this._session !== undefined;
  }

  attachSession(session: MediaSessionPort): void {
    if (this._session) throw new Error(`call ${this.id} already has a media session`);
    this._session = session;
    // Ended while the session was being created: nothing will close it otherwise.
    if (this.isEnded()) void session.close().catch(() => undefined);
  }

  /** A method, not a field read, so that checks after an await are not narrowed away. */
  isEnded(): boolean {
    return this.ending !== undefined;
  }

  addLeg(leg: Leg): void {
    if (this.isEnded()) {
      void leg.hangup({ by: 'local', reason: 'call already ended' });
      return;
    }
    this.legs.push(leg);
    leg.on('info', (info) => this.emit('info', { ...info, role: leg.role }));
    leg.once('ended', (info: LegEndInfo) => {
      this.logger.info({ role: leg.role, ...info }, 'leg ended');
      this.emit('leg-removed', leg);
      // A listener or an extra talker leaving does not end the conversation it joined.
      if (leg.role === 'monitor' || leg.role === 'talker') return;
      void this.hangup({ reason: `${leg.role} ${info.by === 'remote' ? 'hung up' : info.reason}` });
    });
    this.emit('leg-added', leg);
  }

  /** A recording of this call is being written to `path`; `recording` follows once it is final. */
  recordingStarted(path: string): void {
    this.recordingPath = path;
  }

  markRinging(): void {
    if (this._status === 'queued') this.setStatus('ringing');
  }

  markAnswered(): void {
    if (this._status !== 'queued' && this._status !== 'ringing') return;
    this.answeredAt = Date.now();
    this.setStatus('in-progress');
    this.emit('answered');
  }

  /**
   * Ends the call in any status, once (later calls wait for the first). An answered call ends
   * `completed`; an unanswered one ends with `cause.status`, or the status its `sipStatus` means.
   */
  hangup(cause: HangupCause | string = { reason: 'hangup' }): Promise<void> {
    if (this.ending) return this.ending;
    // Set before finish() runs: its legs' `ended` events re-enter hangup() synchronously.
    let done!: () => void;
    this.ending = new Promise((resolve) => {
      done = resolve;
    });
    void this.finish(typeof cause === 'string' ? { reason: cause } : cause).finally(done);
    return this.ending;
  }

  /** Same as hangup(); the name the older code and tests use. */
  end(reason: string | HangupCause): Promise<void> {
    return this.hangup(reason);
  }

  private async finish(cause: HangupCause): Promise<void> {
    const answered = this.answeredAt !== undefined;
    const status: FinalCallStatus = answered ? 'completed' : (cause.status ?? statusForSip(cause.sipStatus));
    // An answered call's SIP outcome is its 200, whatever ended it later (BYE, shutdown, API).
    this.sipStatus = answered ? 200 : (cause.sipStatus ?? sipForStatus(status).status);
    this.endReason = cause.reason;
    this.setStatus(status, cause.reason);
    this.emit('ending', cause);
    await Promise.allSettled(this.legs.map((l) => l.hangup({ by: 'local', reason: cause.reason })));
    await this._session?.close().catch((err: unknown) => this.logger.warn({ err }, 'media session close failed'));
    this.endedAt = Date.now();
    const durationMs = this.answeredAt ? this.endedAt - this.answeredAt : 0;
    // The one line per call an operator greps for.
    this.logger.info(
      {
        direction: this.direction,
        from: this.from,
        to: this.to,
        route: this.route,
        status,
        sipStatus: this.sipStatus,
        reason: cause.reason,
        durationMs,
      },
      'call ended',
    );
    this.emit('ended', { status, reason: cause.reason, sipStatus: this.sipStatus, durationMs });
  }

  private setStatus(status: CallStatus, reason?: string): void {
    const previous = this._status;
    if (previous === status) return;
    this._status = status;
    this.emit('status', {
      status,
      previous,
      reason,
      ...(this.sipStatus !== undefined && FINAL_STATUSES.has(status) ? { sipStatus: this.sipStatus } : {}),
    });
  }
}
