import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CallRecord, NewCall, Store } from '../store/index.js';
import type { Call } from './call.js';
import type { OriginateRequest } from './originator.js';
import { newSecret, sha256Hex } from '../store/index.js';
import { type CallInfo, InfoNotDelivered } from './call-info.js';
import type { CallRecords } from './call-records.js';
import type { CallService } from './call-service.js';
import type { DialTarget } from './ports.js';
import { addMonitor, MonitorError } from './monitor.js';
import type { BrowserBridges } from './browser-bridge.js';
import type { FlowCalls } from './flow-calls.js';

/** A refused API request, with the HTTP status the API answers (the domain knows no HTTP types). */
export class CallRequestError extends Error {
  constructor(
    readonly status: 403 | 404 | 409 | 422 | 502 | 503,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'CallRequestError';
  }
}

/**
 * A call the media server could not take: its record ends `failed` (503) and the API answers 503
 * with Retry-After (the overload's own, else 1 s).
 */
export async function mediaRefusal(store: Store, recordId: number, err: unknown): Promise<CallRequestError> {
  const retryAfter =
    (err as { name?: string; retryAfter?: number }).name === 'MediaOverloadError'
      ? (err as { retryAfter?: number }).retryAfter
      : undefined;
  await store.calls.updateStatus(recordId, {
    status: 'failed',
    sipStatus: 503,
    reason: retryAfter !== undefined ? 'media overloaded' : 'media session failed',
  });
  return new CallRequestError(503, 'no media capacity for the call; retry later', retryAfter ?? 1);
}

export interface InitiateRequest {
  callType?: 'bridge';
  vendeurMode?: 'phone' | 'browser';
  agentId?: number;
  recipient: string;
  inboundPhoneNumber?: string;
  enableRecording?: boolean;
  enableTranscription?: boolean;
  enableAnalysis?: boolean;
}

export interface Initiated {
  record: CallRecord;
  telephonyRef: string;
  cableToken: string;
}

export interface ApiCallsOptions {
  store: Store;
  calls: CallService;
  records: CallRecords;
  browser: BrowserBridges;
  /** The trunk PSTN numbers go out through (the first configured); none means no PSTN. */
  trunk: string | undefined;
  ringTimeoutMs: number;
  /** Number prefixes never dialed from the API (premium rate, satellite...). */
  blockedPrefixes: readonly string[];
  logger: Logger;
  /** Places calls run by an application's flow (`agent_id`); absent, those answer 503. */
  flowCalls?: FlowCalls;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;

/** How long an API call's row waits for the SIP server to say its INVITE left. */
const SENT_WAIT_MS = 2000;

/**
 * The calls the REST API places and controls: a bridge rings the agent's line first (a registered
 * agent of the project, or a number through the trunk), then the recipient through the trunk with
 * one of the project's numbers as caller ID. A phone bridge's row is written as soon as the agent
 * line's INVITE left (not before: the post-dial delay does not wait for the database), and before
 * the API answers, so the `phone_call_id` answered is stored and survives restarts.
 */
export class ApiCalls {
  constructor(private readonly opts: ApiCallsOptions) {}

  async initiate(projectId: number, req: InitiateRequest): Promise<Initiated> {
    const { store } = this.opts;
    if (req.agentId !== undefined) {
      if (!this.opts.flowCalls) throw new CallRequestError(503, 'call flows are not available on this server');
      // The recipient is called and the application's flow runs when they answer.
      return this.opts.flowCalls.place(projectId, {
        to: req.recipient,
        callerId: req.inboundPhoneNumber,
        appId: req.agentId,
        enableRecording: req.enableRecording,
        enableTranscription: req.enableTranscription,
        enableAnalysis: req.enableAnalysis,
        fields: { to: 'recipient_phone_number', callerId: 'inbound_phone_number', appId: 'agent_id' },
      });
    }
    if (req.callType !== 'bridge') throw new CallRequestError(422, 'call_type: must be "bridge" (or give agent_id)');
    const browser = req.vendeurMode === 'browser';
    const recipient = this.dialable(req.recipient, 'recipient_phone_number');
    if (!browser && !req.inboundPhoneNumber)
      throw new CallRequestError(
        422,
        'inbound_phone_number: required for a phone bridge (the agent line: a number or an agent username)',
      );
    const numbers = await store.numbers.list(projectId);
    const callerId = numbers.find((n) => n.e164 === req.inboundPhoneNumber)?.e164 ?? numbers[0]?.e164;
    if (!callerId) throw new CallRequestError(422, 'inbound_phone_number: the project has no number to present as caller ID');
    // In browser mode the agent joins later; inbound_phone_number, if given, only picks the caller ID.
    const agentLine = browser ? undefined : await this.agentLine(projectId, req.inboundPhoneNumber!);
    if (!this.opts.trunk) throw new CallRequestError(503, 'no trunk configured to reach recipient_phone_number');

    const telephonyRef = `CA${randomBytes(16).toString('hex')}`;
    const cableToken = newSecret('');
    const row: NewCall = {
      projectId,
      direction: 'outbound',
      from: callerId,
      to: recipient,
      telephonyRef,
      cableTokenHash: sha256Hex(cableToken),
      enableRecording: req.enableRecording,
      enableTranscription: req.enableTranscription,
      enableAnalysis: req.enableAnalysis,
      agentId: agentLine?.agentId ?? null,
      numberId: numbers.find((n) => n.e164 === callerId)?.id ?? null,
    };
    if (!agentLine) {
      // Nothing is dialed before the agent's browser joins: the row first, as the bridge needs its id.
      const record = await store.calls.insert(row);
      try {
        await this.opts.browser.wait({
          recordId: record.id,
          projectId,
          telephonyRef,
          recipient: { trunk: this.opts.trunk, number: recipient },
          from: { user: callerId },
          record: req.enableRecording === true,
        });
      } catch (err) {
        throw await mediaRefusal(store, record.id, err);
      }
      return { record, telephonyRef, cableToken };
    }
    const record = await this.dialThenRecord(row, agentLine.target, {
      from: { user: callerId },
      connect: { trunk: this.opts.trunk, number: recipient },
      record: req.enableRecording === true,
    });
    return { record, telephonyRef, cableToken };
  }

  /**
   * Rings the agent line first and writes the call's row once its INVITE left: the post-dial delay
   * does not include the insert. Whatever the call does meanwhile (a 486, a CANCEL) is written
   * behind the row by the record writer; a row that cannot be written ends the call (no call runs
   * unrecorded) and the request fails.
   */
  private async dialThenRecord(
    row: NewCall,
    to: DialTarget,
    req: Pick<OriginateRequest, 'from' | 'connect' | 'record'>,
  ): Promise<CallRecord> {
    const { store } = this.opts;
    let settle!: (id: number | undefined) => void;
    const pendingRecordId = new Promise<number | undefined>((resolve) => {
      settle = resolve;
    });
    let sent!: () => void;
    const inviteSent = new Promise<void>((resolve) => {
      sent = resolve;
    });
    let call: Call;
    try {
      call = await this.opts.calls.originate({ ...req, to, pendingRecordId, onSent: sent });
    } catch (err) {
      // Refused before anything was dialed: the row says so, as the API answers.
      settle(undefined);
      const record = await store.calls.insert(row);
      throw await mediaRefusal(store, record.id, err);
    }
    // The INVITE left, or the call ended without one (no endpoint, no route); a SIP server that
    // never says does not hold the row back for long.
    if (!call.isEnded()) {
      let done!: () => void;
      const over = new Promise<void>((resolve) => {
        done = resolve;
      });
      const timer = setTimeout(done, SENT_WAIT_MS);
      call.once('ending', done);
      await Promise.race([inviteSent, over]);
      clearTimeout(timer);
      call.off('ending', done);
    }
    let record: CallRecord;
    try {
      record = await store.calls.insert(row);
    } catch (err) {
      settle(undefined);
      this.opts.logger.error({ err }, 'call record not written: ending the call');
      await call.hangup({ status: 'failed', sipStatus: 500, reason: 'call record not written' });
      throw new CallRequestError(503, 'the call could not be recorded; retry later', 1);
    }
    call.recordId = record.id;
    settle(record.id);
    return record;
  }

  /**
   * Ends the call in any state (ringing legs are cancelled, answered ones get BYE) and answers its
   * final status; a call already over answers the status it ended with. A call left unfinished by
   * a restart (no longer live anywhere here) is closed as failed.
   */
  async hangup(record: CallRecord): Promise<CallRecord> {
    const call = this.opts.records.liveCall(record.id);
    if (call) {
      await call.hangup({ reason: 'api hangup', status: 'canceled', sipStatus: 487, sipReason: 'Request Terminated' });
      await this.opts.records.flushed(call);
    } else if (!isFinal(record.status)) {
      await this.opts.store.calls.updateStatus(record.id, { status: 'failed', reason: 'call lost (server restarted)' });
    }
    return (await this.opts.store.calls.get(record.id)) ?? record;
  }

  /** Whether the call is up (or ringing) on this box right now. */
  isLive(record: CallRecord): boolean {
    const call = this.opts.records.liveCall(record.id);
    return call !== undefined && !call.isEnded();
  }

  /**
   * An application event toward a party of the live call (`caller` by default: the web visitor, or
   * whoever called in), as a SIP INFO; resolves once the party accepted it.
   */
  async sendInfo(record: CallRecord, info: CallInfo, to: 'caller' | 'callee' = 'caller'): Promise<void> {
    const call = this.opts.records.liveCall(record.id);
    if (!call || call.isEnded()) throw new CallRequestError(409, 'the call is not live');
    const leg = call.legs.find((l) => l.role === to && !l.ended);
    if (!leg) throw new CallRequestError(409, `the call has no ${to} on the line`);
    try {
      await leg.sendInfo(info);
    } catch (err) {
      if (!(err instanceof InfoNotDelivered)) throw err;
      if (err.why === 'too-large' || err.why === 'bad-event') throw new CallRequestError(422, err.message);
      if (err.why === 'refused') throw new CallRequestError(502, err.message);
      throw new CallRequestError(409, err.message);
    }
    call.logger.info({ to, event: info.event }, 'INFO sent to the party');
  }

  /** Dials a supervisor into the live call, listen-only; resolves once the dial started. */
  async addMonitor(projectId: number, record: CallRecord, supervisor: string): Promise<void> {
    const call = this.opts.records.liveCall(record.id);
    if (!call || call.isEnded()) throw new CallRequestError(409, 'the call is not live');
    const target = (await this.agentLine(projectId, supervisor, 'supervisor_phone')).target;
    if (call.status !== 'in-progress' || !call.legs.some((l) => l.role === 'callee')) {
      throw new CallRequestError(409, 'the call is not connected yet; add a monitor once both parties are on the line');
    }
    const from = record.from ? { user: record.from } : undefined;
    void addMonitor(call, target, { dialer: this.opts.calls.dialer, ringTimeoutMs: this.opts.ringTimeoutMs, from }).then(
      (r) => {
        if (!r.answered) call.logger.info({ reason: r.reason }, 'supervisor not reached');
      },
      (err: unknown) => call.logger[err instanceof MonitorError ? 'info' : 'warn']({ err }, 'monitor failed'),
    );
  }

  /** A line to ring: a registered agent of the project (by username), or a dialable number through the trunk. */
  private async agentLine(
    projectId: number,
    line: string,
    field = 'inbound_phone_number',
  ): Promise<{ target: DialTarget; agentId?: number }> {
    if (line.startsWith('+')) {
      const number = this.dialable(line, field);
      if (!this.opts.trunk) throw new CallRequestError(503, `no trunk configured to reach ${field}`);
      return { target: { trunk: this.opts.trunk, number } };
    }
    const agent = await this.opts.store.agents.findByUsername(line);
    if (!agent) throw new CallRequestError(422, `${field}: not an E.164 number nor one of your agents`);
    if (agent.projectId !== projectId) throw new CallRequestError(403, `forbidden: ${field} is another project's agent`);
    return { target: { user: agent.username }, agentId: agent.id };
  }

  private dialable(number: string, field: string): string {
    if (!E164.test(number)) throw new CallRequestError(422, `${field}: must be an E.164 number (+ and 7 to 15 digits)`);
    if (this.opts.blockedPrefixes.some((p) => number.startsWith(p)))
      throw new CallRequestError(422, `${field}: premium-rate and special numbers are not dialed`);
    return number;
  }
}

function isFinal(status: string): boolean {
  return status !== 'queued' && status !== 'ringing' && status !== 'in-progress';
}
