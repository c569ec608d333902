/** Call statuses (PRODUCT.md) and how they map to and from SIP final responses. */

export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';

export type FinalCallStatus = Extract<CallStatus, 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled'>;

export const FINAL_STATUSES: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

/** Why a call ends; everything but `reason` is optional and derived when missing. */
export interface HangupCause {
  reason: string;
  /** SIP status for an unanswered caller (and for the record), e.g. 486, 480, 503. */
  sipStatus?: number;
  /** Reason phrase sent with `sipStatus`. */
  sipReason?: string;
  /** Extra headers on the caller's final response (Retry-After). */
  headers?: Record<string, string>;
  /** Final status when the call was never answered; derived from `sipStatus` otherwise. */
  status?: FinalCallStatus;
}

/** The final status of a call that never reached in-progress, from the SIP status that ended it. */
export function statusForSip(sipStatus: number | undefined): FinalCallStatus {
  if (sipStatus === undefined) return 'canceled';
  if (sipStatus === 486 || sipStatus === 600 || sipStatus === 603) return 'busy';
  if (sipStatus === 408 || sipStatus === 480) return 'no-answer';
  if (sipStatus === 487) return 'canceled';
  return 'failed';
}

/** The SIP status an unanswered caller hears for a final status, when no SIP status was given. */
export function sipForStatus(status: FinalCallStatus): { status: number; reason: string } {
  switch (status) {
    case 'busy':
      return { status: 486, reason: 'Busy Here' };
    case 'no-answer':
      return { status: 480, reason: 'No Answer' };
    case 'canceled':
      return { status: 487, reason: 'Request Terminated' };
    default:
      return { status: 500, reason: 'Server Internal Error' };
  }
}
