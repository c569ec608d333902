/**
 * The call-flow engine's entry point for the composition root. Built once (with the TTS provider
 * and DATA_DIR); `handler()` returns the CallHandler that runs an application's flow on a routed
 * call: it answers the caller, sends `init_call` to the callback URL and runs the loop until the
 * call ends.
 *
 *   const flows = new FlowEngine({ tts, dataDir: config.dataDir, logger });
 *   await runHandler(call, flows.handler(ctx, { callback: { url, method: 'POST', format: 'json' }, appId: String(app.id) }));
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Call } from '../calls/call.js';
import type { Leg } from '../calls/leg.js';
import type { CallHandler, HandlerContext } from '../calls/handlers/handler.js';
import type { TtsProvider } from '../speech/tts.js';
import { CachingAudioFetcher } from './audio-fetcher.js';
import { CallbackClient, type CallbackConfig } from './callback-client.js';
import type { CallbackRequest } from './callback-request.js';
import { CallFlowPort, type FlowCallPort } from './call-port.js';
import type { AudioFetcher } from './flow-context.js';
import { FLOW_LIMITS, type FlowLimits } from './flow-defaults.js';
import { FlowRunner } from './flow-runner.js';
import { numberInfo } from './number-info.js';
import type { FlowTelephony } from './telephony.js';
import { CallTelephony, type CallTelephonyOptions } from './call-telephony.js';

export interface FlowEngineOptions {
  tts: TtsProvider;
  /** PLAY audio is cached under `<dataDir>/flow-audio`. */
  dataDir: string;
  logger: Logger;
  /** Let callback and audio URLs reach loopback/private addresses (development, tests). Default false. */
  allowPrivateTargets?: boolean;
  limits?: Partial<FlowLimits>;
  /** Replaces the URL fetcher of PLAY (tests). */
  audio?: AudioFetcher;
  /** Dialing and conference rooms for DIAL and CONFERENCE; without it they are logged and skipped. */
  telephony?: CallTelephonyOptions;
}

/** One application's flow on one call. */
export interface FlowStart {
  callback: CallbackConfig;
  appId: string;
  /** The account the call belongs to (`subaccount_id`); default '0'. */
  accountId?: string;
  /** `call_id` of the callbacks; default the stored record's id (phone_call_id) once the call has one, else the Call's id. */
  callId?: string;
  sessionData?: Record<string, unknown> | null;
  customData?: Record<string, unknown> | null;
  sipDomain?: string | null;
  /** The project the flow runs for (DIAL's rules, CONFERENCE rooms); default the application's. */
  projectId?: number;
}

export class FlowEngine {
  readonly limits: FlowLimits;
  private readonly client: CallbackClient;
  private readonly audio: AudioFetcher;
  /** Flows running on calls, by Call id: REST modifies them (redirect, session data). */
  private readonly running = new Map<string, FlowRunner>();

  constructor(private readonly opts: FlowEngineOptions) {
    this.limits = { ...FLOW_LIMITS, ...opts.limits };
    const allowPrivate = opts.allowPrivateTargets ?? false;
    this.client = new CallbackClient(
      { timeoutMs: this.limits.callbackTimeoutMs, maxBytes: this.limits.callbackMaxBytes, allowPrivate },
      opts.logger,
    );
    this.audio =
      opts.audio ??
      new CachingAudioFetcher({
        dir: join(opts.dataDir, 'flow-audio'),
        maxBytes: this.limits.audioMaxBytes,
        timeoutMs: this.limits.audioTimeoutMs,
        maxAgeMs: this.limits.audioCacheMaxAgeMs,
        cacheMaxBytes: this.limits.audioCacheMaxBytes,
        allowPrivate,
        logger: opts.logger,
      });
  }

  /** The handler for a routed call (inbound, or an API call once its first leg answered). */
  handler(ctx: HandlerContext, start: FlowStart): CallHandler {
    return new FlowHandler(this, ctx, start);
  }

  /** The flow running on a call (by the Call's id), for live-call modification. */
  live(callId: string): FlowRunner | undefined {
    return this.running.get(callId);
  }

  /** Keeps `runner` findable by `live(callId)` while it runs. */
  track(callId: string, runner: FlowRunner): () => void {
    this.running.set(callId, runner);
    return () => {
      if (this.running.get(callId) === runner) this.running.delete(callId);
    };
  }

  /** DIAL and CONFERENCE for a flow on `call` (answered on `leg`); undefined without a call layer. */
  telephonyFor(call: Call, leg: Leg, start: FlowStart): FlowTelephony | undefined {
    const t = this.opts.telephony;
    return t ? new CallTelephony(t, call, leg, start) : undefined;
  }

  /** A runner on any FlowCallPort (the handler uses it; tests drive it with a fake port). */
  runner(port: FlowCallPort, callback: CallbackConfig, request: CallbackRequest, telephony?: FlowTelephony): FlowRunner {
    return new FlowRunner({
      ...(telephony ? { telephony } : {}),
      port,
      callback,
      request,
      client: this.client,
      tts: this.opts.tts,
      audio: this.audio,
      limits: this.limits,
    });
  }
}

class FlowHandler implements CallHandler {
  private runner: FlowRunner | undefined;
  private stopped = false;

  constructor(
    private readonly engine: FlowEngine,
    private readonly ctx: HandlerContext,
    private readonly start: FlowStart,
  ) {}

  async run(): Promise<void> {
    const { call, caller } = this.ctx;
    const leg = await caller.answer();
    if (!leg || this.stopped) return;
    const port = new CallFlowPort(call, leg, this.ctx.recordingsDir);
    this.runner = this.engine.runner(
      port,
      this.start.callback,
      initialRequest(call, this.start),
      this.engine.telephonyFor(call, leg, this.start),
    );
    // On the call, so its record writer stores each failure under the call's phone_call_id.
    this.runner.on('callbackFailure', (failure) => call.emit('callback-failed', failure));
    call.logger.info({ url: this.start.callback.url, appId: this.start.appId }, 'call flow started');
    const untrack = this.engine.track(call.id, this.runner);
    const runner = this.runner;
    const onInfo = ({ event, data }: { event: string; data: unknown }): void => runner.receiveInfo(event, data);
    leg.on('info', onInfo);
    try {
      await this.runner.run();
    } finally {
      leg.off('info', onInfo);
      untrack();
    }
  }

  stop(): void {
    this.stopped = true;
    this.runner?.stop();
  }
}

/** The `init_call` request of a call. `caller_no` is the other party, `api_no` our number, in both directions. */
export function initialRequest(call: Call, start: FlowStart): CallbackRequest {
  const inbound = call.direction === 'inbound';
  const callerNo = inbound ? call.from : call.to;
  // A DID call: our number as stored (E.164), whatever form the carrier put in the Request-URI.
  const apiNo = inbound ? (call.number?.e164 ?? call.to) : call.from;
  const c = numberInfo(callerNo);
  const a = numberInfo(apiNo);
  return {
    type: 'init_call',
    app_id: start.appId,
    subaccount_id: start.accountId ?? '0',
    // Read once answered: by then the record writer has usually given an inbound call its phone_call_id.
    call_id: start.callId ?? (call.recordId !== undefined ? String(call.recordId) : call.id),
    start_time: new Date(call.createdAt).toISOString(),
    direction: call.direction,
    duration: 0,
    status: 'live-in-progress',
    detection: null,
    caller_no: callerNo,
    caller_no_city: c?.city ?? null,
    caller_no_region: c?.region ?? null,
    caller_no_country: c?.country ?? null,
    caller_no_timezone: c?.timezone ?? null,
    api_no: apiNo,
    api_no_city: a?.city ?? null,
    api_no_region: a?.region ?? null,
    api_no_country: a?.country ?? null,
    api_no_timezone: a?.timezone ?? null,
    key_presses: [],
    recordings: [],
    custom_data: start.customData ?? null,
    session_data: start.sessionData ?? null,
    end_time: null,
    sip_domain: start.sipDomain ?? null,
    sip_forwarded_for: null,
  };
}
