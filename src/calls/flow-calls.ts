/**
 * API calls run by a call flow: Voxology's `Dials/Connect` and Phonevoice's `agent_id` place a call
 * through the trunk and run an application's flow once the called party answers; a live flow can
 * be redirected (new inline actions or a new callback URL) and given session data by REST.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Application, CallRecord, PhoneNumber, Store } from '../store/index.js';
import { newSecret, sha256Hex } from '../store/index.js';
import { CallRequestError, mediaRefusal } from './api-calls.js';
import type { CallRecords } from './call-records.js';
import type { CallService } from './call-service.js';
import { type AppCallback, effectiveCallback } from './router.js';

/** Where a live flow goes next: a callback URL, or actions given inline (checked by the caller). */
export type FlowRedirect = { url: string; method: 'GET' | 'POST' } | { actions: readonly unknown[] };

/** A flow running on a call, as REST modifies it (the FlowRunner satisfies it). */
export interface LiveFlow {
  /** Stops what the flow is doing and continues with `to`. */
  redirect(to: FlowRedirect): void;
  /** Merged key by key into the flow's session data (the next callback and templates see it); false when it would exceed the size limit. */
  mergeSessionData(data: Record<string, unknown>): boolean;
}

/** Finds the flow running on a call (the FlowEngine satisfies it). */
export interface LiveFlows {
  live(callId: string): LiveFlow | undefined;
}

export interface FlowCallRequest {
  to: string;
  /** Our number presented as caller ID; default the project's first number. */
  callerId?: string;
  /** The application whose flow runs; default the caller ID number's effective callback configuration. */
  appId?: number;
  sessionData?: Record<string, unknown> | null;
  /** Ring timeout (Voxology's `timeout`, seconds). */
  timeoutS?: number;
  /** Hang up this long after the answer (Voxology's `max_call_time`, ms). */
  maxCallTimeMs?: number;
  enableRecording?: boolean;
  enableTranscription?: boolean;
  enableAnalysis?: boolean;
  /** The request's field names, for error messages (`call.caller_id_no` or `inbound_phone_number`...). */
  fields: { to: string; callerId: string; appId: string };
}

export interface FlowCallsOptions {
  store: Store;
  calls: CallService;
  records: CallRecords;
  flows?: LiveFlows;
  trunk: string | undefined;
  ringTimeoutMs: number;
  blockedPrefixes: readonly string[];
  logger: Logger;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;

export class FlowCalls {
  constructor(private readonly opts: FlowCallsOptions) {}

  /** Writes the call's record, then rings `to`; the flow starts when it answers. Resolves once ringing started. */
  async place(
    projectId: number,
    req: FlowCallRequest,
  ): Promise<{ record: CallRecord; telephonyRef: string; cableToken: string }> {
    const { store } = this.opts;
    const f = req.fields;
    // Whose application it is is answered before what is wrong with the request (403 never hides behind a 422).
    const app = req.appId !== undefined ? await this.ownApplication(projectId, req.appId, f.appId) : undefined;
    const to = this.dialable(req.to, f.to);
    const numbers = await store.numbers.list(projectId);
    // No spoofing: only a number the project owns is presented (a foreign one is not told apart from an unknown one).
    const number = req.callerId === undefined ? numbers[0] : numbers.find((n) => n.e164 === req.callerId);
    if (!number)
      throw new CallRequestError(
        422,
        req.callerId === undefined
          ? `${f.callerId}: the project has no number to present as caller ID`
          : `${f.callerId}: not one of your numbers`,
      );
    const { appId, callback } = await this.callbackFor(projectId, number, app, req);
    if (!this.opts.trunk) throw new CallRequestError(503, `no trunk configured to reach ${f.to}`);
    if (!this.opts.calls.runsFlows) throw new CallRequestError(503, 'call flows are not available on this server');

    const telephonyRef = `CA${randomBytes(16).toString('hex')}`;
    const cableToken = newSecret('');
    const record = await store.calls.insert({
      projectId,
      direction: 'outbound',
      from: number.e164,
      to,
      telephonyRef,
      cableTokenHash: sha256Hex(cableToken),
      enableRecording: req.enableRecording,
      enableTranscription: req.enableTranscription,
      enableAnalysis: req.enableAnalysis,
      applicationId: appId ?? null,
      numberId: number.id,
    });
    try {
      await this.opts.calls.originate({
        to: { trunk: this.opts.trunk, number: to },
        from: { user: number.e164 },
        callerId: number.e164,
        flow: { appId: String(appId ?? 0), callback, sessionData: req.sessionData ?? null },
        ringTimeoutMs: req.timeoutS !== undefined ? req.timeoutS * 1000 : this.opts.ringTimeoutMs,
        maxCallTimeMs: req.maxCallTimeMs,
        record: req.enableRecording === true,
        recordId: record.id,
      });
    } catch (err) {
      throw await mediaRefusal(store, record.id, err);
    }
    return { record, telephonyRef, cableToken };
  }

  /** The flow running on the call: 409 when the call is over or runs no flow. */
  liveFlow(record: CallRecord): LiveFlow {
    const call = this.opts.records.liveCall(record.id);
    if (!call || call.isEnded()) throw new CallRequestError(409, 'the call is not live');
    const flow = this.opts.flows?.live(call.id);
    if (!flow) throw new CallRequestError(409, 'the call is not running a call flow');
    return flow;
  }

  /** The application given, else the caller ID number's own configuration or its application's. */
  private async callbackFor(
    projectId: number,
    number: PhoneNumber,
    given: Application | undefined,
    req: FlowCallRequest,
  ): Promise<{ appId: number | undefined; callback: AppCallback }> {
    const { store } = this.opts;
    if (given) {
      const callback = effectiveCallback(given, undefined);
      if (!callback) throw new CallRequestError(422, `${req.fields.appId}: the application has no callback URL`);
      return { appId: given.id, callback };
    }
    const appId = number.target?.kind === 'application' ? number.target.applicationId : undefined;
    const found = appId !== undefined ? await store.applications.get(appId) : undefined;
    const app = found && found.projectId === projectId ? found : undefined;
    const callback = effectiveCallback(app, await store.numbers.callbackConfig(number.id));
    if (!callback)
      throw new CallRequestError(
        422,
        `${req.fields.callerId}: ${number.e164} has no callback configuration (give it one, or point it at an application)`,
      );
    return { appId: app?.id, callback };
  }

  private async ownApplication(projectId: number, id: number, field: string): Promise<Application> {
    const app = await this.opts.store.applications.get(id);
    if (!app) throw new CallRequestError(404, `${field}: application not found`);
    if (app.projectId !== projectId) throw new CallRequestError(403, 'forbidden: this application belongs to another project');
    return app;
  }

  private dialable(number: string, field: string): string {
    if (!E164.test(number)) throw new CallRequestError(422, `${field}: must be an E.164 number (+ and 7 to 15 digits)`);
    if (this.opts.blockedPrefixes.some((p) => number.startsWith(p)))
      throw new CallRequestError(422, `${field}: premium-rate and special numbers are not dialed`);
    return number;
  }
}
