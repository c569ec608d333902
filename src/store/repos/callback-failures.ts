import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';

export const CALLBACK_FAILURE_OUTCOMES = [
  'fallback_answered',
  'error_prompt',
  'not_delivered',
  'call_ended',
  'redirected',
] as const;
/**
 * What the call did after the failure: the fallback URL answered and the flow went on; no URL
 * answered, so the caller heard the error prompt and was hung up; the final callback (which has no
 * fallback) was not delivered; the call ended while the request was out; or a REST redirect took
 * the call over while the request was out.
 */
export type CallbackFailureOutcome = (typeof CALLBACK_FAILURE_OUTCOMES)[number];

/** One call-flow callback request that got no usable answer at its URL. */
export interface CallbackFailure {
  at: string;
  /** The request's `type` (init_call, actions_complete, redirect, call_ended). */
  callbackType: string;
  url: string;
  error: string;
  fallbackUrl: string | null;
  /** Why the fallback failed too; null when it answered or was not tried. */
  fallbackError: string | null;
  outcome: CallbackFailureOutcome;
}

// A hostile callback server chooses the error text (a status line, a parse error): stored bounded.
const MAX_TEXT = 500;
const MAX_URL = 2048;
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export class CallbackFailureRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async add(callId: number, f: CallbackFailure): Promise<void> {
    await this.db
      .insertInto('call_callback_failures')
      .values({
        call_id: callId,
        at: f.at,
        callback_type: clip(f.callbackType, 64),
        url: clip(f.url, MAX_URL),
        error: clip(f.error, MAX_TEXT),
        fallback_url: f.fallbackUrl === null ? null : clip(f.fallbackUrl, MAX_URL),
        fallback_error: f.fallbackError === null ? null : clip(f.fallbackError, MAX_TEXT),
        outcome: f.outcome,
      })
      .execute();
  }

  /** A call's failures, oldest first. */
  async list(callId: number): Promise<CallbackFailure[]> {
    const rows = await this.db
      .selectFrom('call_callback_failures')
      .selectAll()
      .where('call_id', '=', callId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      at: r.at,
      callbackType: r.callback_type,
      url: r.url,
      error: r.error,
      fallbackUrl: r.fallback_url,
      fallbackError: r.fallback_error,
      outcome: r.outcome as CallbackFailureOutcome,
    }));
  }
}
