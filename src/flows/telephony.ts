/**
 * What DIAL and CONFERENCE need from the call layer, and nothing more: ring a party and bridge
 * the caller to it until one side hangs up, and put the caller in a named room of the project.
 * `CallTelephony` (src/flows/call-telephony.ts) implements it over a live Call; unit tests use
 * fakes. Policy (who may be dialed, which caller ID may be shown) lives in the implementation,
 * so a script can never get past it.
 */

/** How a DIAL ended, as the script sees it (`dials[].status`, `$dialStatus`). */
export type DialStatus = 'answered' | 'no-answer' | 'busy' | 'failed' | 'canceled';

/** One DIAL's result, in the callback's field names (`dials[]`). */
export interface DialResultRef {
  /** The action's `name` (default `dial`); a later DIAL of the same name replaces it. */
  name: string;
  status: DialStatus;
  /** ms the dialed party was connected (0 unless answered). */
  duration: number;
  /** The dialed leg's own call id (its record's `phone_call_id`), null when nothing was dialed. */
  call_id: string | null;
  /** What was dialed, after templates. */
  no: string;
}

export interface FlowDialRequest {
  /** E.164 number (through the trunk) or a username of one of the project's agents. */
  no: string;
  /** Caller ID to present; must be one of the project's numbers. Default: the call's own number. */
  callerIdNo?: string;
  /** Ring time before giving up (`no-answer`). */
  ringTimeoutMs: number;
  /** The bridged call is ended after this long. */
  maxCallTimeMs?: number;
}

export interface FlowDialOutcome {
  status: DialStatus;
  durationMs: number;
  callId: string | null;
  /** Why, for the log (`486 Busy Here`, `caller ID not owned`...). */
  reason: string;
}

export interface FlowConferenceRequest {
  /** The room, per project. */
  name: string;
  /** Heard nobody, hears everyone. */
  muted: boolean;
  /** Everyone else leaves the room too when this caller leaves. */
  endOnExit: boolean;
}

export interface FlowConferenceOutcome {
  /** `left` (the flow ended the stay: finish key, max time, hangup), `room ended` (end_on_exit of another), `failed`. */
  reason: string;
  durationMs: number;
}

export interface FlowTelephony {
  /** Rings the party; once answered, bridges it to the caller until either hangs up or `signal` aborts. */
  dial(req: FlowDialRequest, signal: AbortSignal): Promise<FlowDialOutcome>;
  /** The caller joins the room until `signal` aborts, the room is closed, or the call ends. */
  conference(req: FlowConferenceRequest, signal: AbortSignal): Promise<FlowConferenceOutcome>;
}
