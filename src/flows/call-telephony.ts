/**
 * DIAL and CONFERENCE on a live call (FlowTelephony over a Call and its caller Leg), with the
 * project's rules: only the project's own agents and dialable numbers are rung, through the trunk
 * with the same guards as the calls API (E.164 only, blocked premium/special prefixes, never one of
 * our own DIDs, which would come straight back in), and only a number the project owns is shown
 * as caller ID: no spoofing through our trunk.
 */
import type { Logger } from 'pino';
import { type BridgedDialResult, dialAndBridge } from '../calls/bridged-dial.js';
import type { Call } from '../calls/call.js';
import type { CallRegistry } from '../calls/call-registry.js';
import type { ConferenceRooms } from '../calls/conference-rooms.js';
import type { Dialer } from '../calls/dialer.js';
import type { Leg } from '../calls/leg.js';
import type { DialTarget } from '../calls/ports.js';
import type {
  DialStatus,
  FlowConferenceOutcome,
  FlowConferenceRequest,
  FlowDialOutcome,
  FlowDialRequest,
  FlowTelephony,
} from './telephony.js';

/** Where the rules look things up (the store, in main.ts). */
export interface FlowDirectory {
  /** The project an application belongs to. */
  applicationProject(appId: number): Promise<number | undefined>;
  /** The project's numbers, E.164. */
  projectNumbers(projectId: number): Promise<string[]>;
  /** Is this one of the numbers on this box (any project's, or none's)? */
  isOwnNumber(e164: string): Promise<boolean>;
  findAgent(username: string): Promise<{ username: string; projectId: number } | undefined>;
}

export interface CallTelephonyOptions {
  dialer: Dialer;
  registry: CallRegistry;
  rooms: ConferenceRooms;
  directory: FlowDirectory;
  /** The trunk numbers go out through; none: numbers are not dialed. */
  trunk?: string;
  /** Number prefixes never dialed (the calls API's `calls.blockedPrefixes`). */
  blockedPrefixes: readonly string[];
  /** Resolves once the call's record writes are done, so the dialed leg's id is known (CallRecords.flushed). */
  recordsFlushed?: (call: Call) => Promise<void>;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
const AGENT = /^[A-Za-z0-9_.-]{1,64}$/;

class Refused extends Error {}

export class CallTelephony implements FlowTelephony {
  private project: Promise<number | undefined> | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly opts: CallTelephonyOptions,
    private readonly call: Call,
    private readonly leg: Leg,
    private readonly start: { appId: string; projectId?: number },
  ) {
    this.logger = call.logger;
  }

  async dial(req: FlowDialRequest, signal: AbortSignal): Promise<FlowDialOutcome> {
    let plan: { target: DialTarget; callerId: string; projectId: number };
    try {
      plan = await this.plan(req);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      this.logger.warn({ no: req.no, callerIdNo: req.callerIdNo, why: err.message }, 'call flow: DIAL refused');
      return { status: 'failed', durationMs: 0, callId: null, reason: err.message };
    }
    const r = await dialAndBridge(
      this.call,
      this.leg,
      {
        dialer: this.opts.dialer,
        registry: this.opts.registry,
        target: plan.target,
        callerId: plan.callerId,
        ringTimeoutMs: req.ringTimeoutMs,
        ...(req.maxCallTimeMs !== undefined ? { maxCallTimeMs: req.maxCallTimeMs } : {}),
        number: { e164: plan.callerId, projectId: plan.projectId },
      },
      signal,
    );
    await this.opts.recordsFlushed?.(r.call).catch(() => undefined);
    const id = r.call.recordId;
    return {
      status: dialStatus(r),
      durationMs: r.durationMs,
      callId: id !== undefined ? String(id) : r.call.id,
      reason: r.reason,
    };
  }

  async conference(req: FlowConferenceRequest, signal: AbortSignal): Promise<FlowConferenceOutcome> {
    const started = Date.now();
    const projectId = await this.projectId();
    if (projectId === undefined) return { reason: 'failed: no project', durationMs: 0 };
    try {
      const reason = await this.opts.rooms.join(
        `${projectId}:${req.name}`,
        { session: this.call.session, endpoint: this.leg.endpoint, logger: this.logger },
        { muted: req.muted, endOnExit: req.endOnExit },
        signal,
      );
      return { reason, durationMs: Date.now() - started };
    } catch (err) {
      this.logger.warn({ err, room: req.name }, 'call flow: could not join the conference');
      return { reason: 'failed', durationMs: Date.now() - started };
    }
  }

  /** What to ring and with which caller ID, or Refused. */
  private async plan(req: FlowDialRequest): Promise<{ target: DialTarget; callerId: string; projectId: number }> {
    const { directory } = this.opts;
    const projectId = await this.projectId();
    if (projectId === undefined) throw new Refused('the flow belongs to no project');
    const numbers = await directory.projectNumbers(projectId);
    const callerId = req.callerIdNo ?? this.defaultCallerId(numbers);
    if (!callerId) throw new Refused('the project has no number to present as caller ID');
    if (!numbers.includes(callerId)) throw new Refused(`caller ID ${callerId} is not one of the project's numbers`);
    const no = req.no;
    if (no.startsWith('+')) {
      if (!E164.test(no)) throw new Refused('not an E.164 number (+ and 7 to 15 digits)');
      if (this.opts.blockedPrefixes.some((p) => no.startsWith(p)))
        throw new Refused('premium-rate and special numbers are not dialed');
      // Our own DID through the carrier comes straight back in: a loop, and a flow could fork-bomb itself.
      if (await directory.isOwnNumber(no)) throw new Refused('a number on this box is not dialed through the trunk');
      if (!this.opts.trunk) throw new Refused('no trunk configured');
      return { target: { trunk: this.opts.trunk, number: no }, callerId, projectId };
    }
    if (!AGENT.test(no)) throw new Refused('neither an E.164 number nor an agent username');
    const agent = await directory.findAgent(no);
    if (!agent) throw new Refused('no such agent');
    if (agent.projectId !== projectId) throw new Refused("another project's agent");
    return { target: { user: agent.username }, callerId, projectId };
  }

  /** The number the call came in on, or the one it was placed from, else the project's first. */
  private defaultCallerId(numbers: string[]): string | undefined {
    const own = this.call.direction === 'inbound' ? this.call.number?.e164 : this.call.from;
    return own && numbers.includes(own) ? own : numbers[0];
  }

  private projectId(): Promise<number | undefined> {
    this.project ??= (async () => {
      if (this.start.projectId !== undefined) return this.start.projectId;
      const app = Number(this.start.appId);
      if (Number.isSafeInteger(app)) {
        const p = await this.opts.directory.applicationProject(app);
        if (p !== undefined) return p;
      }
      return this.call.number?.projectId;
    })();
    return this.project;
  }
}

function dialStatus(r: BridgedDialResult): DialStatus {
  if (r.answered) return 'answered';
  switch (r.status) {
    case 'busy':
    case 'no-answer':
    case 'canceled':
      return r.status;
    default:
      return 'failed';
  }
}
