/**
 * The call-flow loop of one call: ask the callback URL what to do, run the actions in order, ask
 * again when they run out (or at a REDIRECT's URL), until the flow or the caller hangs up; then
 * send the final callback (status `completed`), whose answer is ignored.
 *
 * Callback types: `init_call` (first), `actions_complete` (the actions ran out), `redirect`
 * (REDIRECT's URL), `call_ended` (final). A failed callback (timeout, non-2xx, bad JSON, refused
 * host) is retried once at the fallback URL; when that fails too the caller hears an error prompt
 * and the call is hung up.
 *
 * A static script (a JSON file served by GET) has no HANGUP at its end more often than not: when
 * a callback answers exactly what the previous one answered and the flow's state (key presses,
 * recordings, session data) did not change in between, running it again could only repeat it
 * forever, so the call is hung up instead. A script that collects keys can still loop as a menu
 * as long as the caller keeps pressing keys. `maxCallbacks` and `maxActions` bound everything else.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { TtsProvider } from '../speech/tts.js';
import type { FlowAction, IfAction } from './actions/schema.js';
import { createActionRunner } from './actions/index.js';
import type { CallbackRequest } from './callback-request.js';
import {
  type CallbackAnswer,
  type CallbackClient,
  type CallbackConfig,
  CallbackFailure,
  type CallbackTarget,
} from './callback-client.js';
import type { FlowCallPort } from './call-port.js';
import {
  type ActionOutcome,
  type AudioFetcher,
  type FlowActionRunner,
  type FlowContext,
  type FlowState,
  NEXT,
} from './flow-context.js';
import { ERROR_PROMPT, type FlowLimits } from './flow-defaults.js';
import { nativeVariables } from './native-variables.js';
import { Say } from './actions/say.js';
import { parseActions } from './actions/parse.js';
import { mergedSessionData } from './actions/session-data.js';
import type { FlowTelephony } from './telephony.js';

/** Where a flow goes when modified by REST: a callback URL, or actions given inline. */
export type FlowRedirect = { url: string; method: 'GET' | 'POST' } | { actions: readonly unknown[] };

export interface FlowRunnerOptions {
  port: FlowCallPort;
  callback: CallbackConfig;
  /** The `init_call` request; later requests are this with the flow's state. */
  request: CallbackRequest;
  client: CallbackClient;
  tts: TtsProvider;
  audio: AudioFetcher;
  limits: FlowLimits;
  errorPrompt?: string;
  /** For DIAL and CONFERENCE; without it they are logged as unsupported and skipped. */
  telephony?: FlowTelephony;
}

export interface FlowCallbackEvent {
  type: string;
  url: string;
  ok: boolean;
  error?: string;
}

/**
 * A callback request that got no usable answer at its URL, for the call record: what the fallback
 * URL did, and what the call did next (`fallback_answered`: the flow went on; `error_prompt`: no
 * URL answered, the caller heard the error prompt and was hung up; `not_delivered`: the final
 * callback, which has no fallback, failed; `call_ended`: the caller hung up before the fallback;
 * `redirected`: a REST redirect came while the fallback was asked and took over).
 */
export interface FlowCallbackFailure {
  at: string;
  callbackType: string;
  url: string;
  error: string;
  fallbackUrl: string | null;
  fallbackError: string | null;
  outcome: 'fallback_answered' | 'error_prompt' | 'not_delivered' | 'call_ended' | 'redirected';
}

/** Where a GOTO lands: indices down through IF branches. */
type LabelPath = { index: number; branch?: 'then' | 'orElse' }[];

/** JSON size of `session_data.info`, the caller's events (receiveInfo). */
const INFO_SESSION_MAX = 16 * 1024;

export class FlowRunner extends EventEmitter<{ callback: [FlowCallbackEvent]; callbackFailure: [FlowCallbackFailure] }> {
  private readonly state: FlowState;
  private readonly ctx: FlowContext;
  private readonly logger: Logger;
  private current: FlowActionRunner | undefined;
  private stopped = false;
  private actionsRun = 0;
  private callbacks = 0;
  private finalSent = false;
  /** Aborts the callback request out now: a REST modification makes its answer moot. */
  private asking: AbortController | undefined;
  /** A REST modification waiting to take over from what the flow is doing. */
  private pending: { url: string; method: 'GET' | 'POST' } | { actions: FlowAction[] } | undefined;

  constructor(private readonly opts: FlowRunnerOptions) {
    super();
    this.logger = opts.port.logger;
    const session = opts.request.session_data;
    this.state = {
      keyPresses: [...opts.request.key_presses],
      recordings: [...opts.request.recordings],
      sessionData: session ? { ...session } : {},
      dials: [...(opts.request.dials ?? [])],
    };
    this.ctx = {
      port: opts.port,
      tts: opts.tts,
      audio: opts.audio,
      logger: this.logger,
      state: this.state,
      ...(opts.telephony ? { telephony: opts.telephony } : {}),
      variables: () => nativeVariables(this.requestOf(this.opts.request.type), opts.port.callTimeMs()),
    };
  }

  /** Stops the current action and the loop (the call is ending); the final callback is still sent. */
  stop(): void {
    this.stopped = true;
    this.current?.stop();
  }

  /**
   * Live-call modification: stops the current action and goes on with the new callback URL (asked
   * with type `redirect`) or the inline actions (then `actions_complete` as usual).
   */
  redirect(to: FlowRedirect): void {
    this.pending =
      'url' in to ? { url: to.url, method: to.method } : { actions: parseActions([...to.actions], this.logger).actions };
    this.logger.info({ to: 'url' in to ? to.url : 'inline actions' }, 'call flow redirected by the API');
    this.current?.stop();
    this.asking?.abort(new Error('redirected'));
  }

  /**
   * Session-data injection: merged key by key as SESSIONDATA merges (the next callback and
   * `${sessionData.x}` see it); false, and nothing merged, when the result would exceed 64 KB.
   */
  mergeSessionData(data: Record<string, unknown>): boolean {
    const merged = mergedSessionData(this.state.sessionData, data);
    if (!merged) return false;
    this.state.sessionData = merged;
    return true;
  }

  /**
   * An application event the caller sent in the call (SIP INFO; a web visitor's `sendInfo`): kept
   * under `session_data.info.<event>` (the latest data per event), so the next callback and
   * `${sessionData.info.<event>...}` see it. Under `info` only: a caller never overwrites the
   * application's own session keys.
   */
  receiveInfo(event: string, data: unknown): void {
    const prev = this.state.sessionData.info;
    const info = typeof prev === 'object' && prev !== null && !Array.isArray(prev) ? (prev as Record<string, unknown>) : {};
    const next = { ...info, [event]: data };
    // Every callback carries the session data: a caller's events must not bloat it without end.
    if (JSON.stringify(next).length > INFO_SESSION_MAX) {
      this.logger.warn({ event }, 'caller event left out of the session data (session_data.info is full)');
      return;
    }
    this.state.sessionData.info = next;
  }

  /** Runs the flow until it ends, then sends the final callback. Never rejects. */
  async run(): Promise<void> {
    try {
      await this.loop();
    } catch (err) {
      this.logger.error({ err }, 'call flow failed');
    }
    if (!this.opts.port.ended.aborted) await this.opts.port.hangup('call flow ended').catch(() => undefined);
    await this.sendFinal();
  }

  private get live(): boolean {
    return !this.stopped && !this.opts.port.ended.aborted;
  }

  private async loop(): Promise<void> {
    const cfg = this.opts.callback;
    let target: CallbackTarget = { url: cfg.url, method: cfg.method };
    let type = 'init_call';
    let previous: string | undefined;
    while (this.live) {
      let actions: FlowAction[];
      const injected = this.pending;
      this.pending = undefined;
      if (injected && 'actions' in injected) {
        actions = injected.actions;
        previous = undefined;
      } else {
        if (injected) {
          target = injected;
          type = 'redirect';
          previous = undefined;
        }
        if (this.callbacks >= this.opts.limits.maxCallbacks) {
          this.logger.warn({ callbacks: this.callbacks }, 'call flow: too many callbacks, hanging up');
          return;
        }
        const stateBefore = this.stateSignature();
        const answer = await this.ask(target, type);
        if (!this.live) return;
        // Modified while asking: that answer is moot.
        if (this.pending) continue;
        if (!answer) {
          await this.sayError();
          return;
        }
        const signature = `${answer.body}\u0000${stateBefore}`;
        if (signature === previous) {
          this.logger.info('call flow: same script again with nothing new (static script ran out), hanging up');
          return;
        }
        previous = signature;
        actions = answer.actions;
      }
      if (actions.length === 0) {
        this.logger.info('call flow: callback answered no actions, hanging up');
        return;
      }
      const outcome = await this.runScript(actions);
      if (this.pending) continue;
      if (outcome.kind === 'hangup') return;
      if (outcome.kind === 'redirect') {
        // The redirect's URL serves the rest of the call.
        target = { url: outcome.url, method: outcome.method };
        type = 'redirect';
        previous = undefined;
      } else type = 'actions_complete';
    }
  }

  /** The callback at `target`, then at the fallback URL; undefined when both failed. */
  private async ask(target: CallbackTarget, type: string): Promise<CallbackAnswer | undefined> {
    const fallback = this.opts.callback.fallbackUrl;
    const tries: CallbackTarget[] = [target];
    if (fallback && fallback !== target.url) tries.push({ url: fallback, method: this.opts.callback.method });
    const errors: string[] = [];
    const at = new Date().toISOString();
    const failed = (outcome: FlowCallbackFailure['outcome']): void => {
      this.emit('callbackFailure', {
        at,
        callbackType: type,
        url: target.url,
        error: errors[0]!,
        fallbackUrl: tries[1]?.url ?? null,
        fallbackError: errors[1] ?? null,
        outcome,
      });
    };
    for (const t of tries) {
      // A REST modification made while the first URL was asked takes over: no fallback for a moot answer.
      if (!this.live || this.pending) break;
      this.callbacks++;
      const asking = new AbortController();
      this.asking = asking;
      try {
        const answer = await this.opts.client.fetchActions(
          t,
          this.opts.callback.format,
          this.requestOf(type),
          AbortSignal.any([this.opts.port.ended, asking.signal]),
        );
        this.emit('callback', { type, url: t.url, ok: true });
        if (errors.length) failed('fallback_answered');
        return answer;
      } catch (err) {
        // The caller hanging up or a REST redirect aborts the request: no failure of the callback server.
        if (!this.live || this.pending) break;
        const why = err instanceof CallbackFailure ? err.message : String(err);
        errors.push(why);
        this.logger.warn({ url: t.url, type, err: why }, 'call flow: callback failed');
        this.emit('callback', { type, url: t.url, ok: false, error: why });
      } finally {
        this.asking = undefined;
      }
    }
    if (errors.length) failed(!this.live ? 'call_ended' : this.pending ? 'redirected' : 'error_prompt');
    return undefined;
  }

  private async runScript(actions: FlowAction[]): Promise<ActionOutcome> {
    let start: LabelPath | undefined;
    for (;;) {
      const outcome = await this.runList(actions, start);
      if (outcome.kind !== 'goto') return outcome;
      const path = findLabel(actions, outcome.label);
      if (!path) {
        this.logger.warn({ label: outcome.label }, 'call flow: GOTO to an unknown label; the actions end here');
        return NEXT;
      }
      start = path;
    }
  }

  private async runList(list: FlowAction[], start?: LabelPath): Promise<ActionOutcome> {
    let i = start ? start[0]!.index : 0;
    if (start && start.length > 1) {
      const at = list[i] as IfAction;
      const branch = start[0]!.branch === 'then' ? at.then : at.orElse;
      const o = await this.runList(branch, start.slice(1));
      if (o.kind !== 'next') return o;
      i++;
    }
    for (; i < list.length; i++) {
      // Stopped, or modified by REST (the loop takes the modification over).
      if (!this.live || this.pending) return { kind: 'hangup' };
      if (++this.actionsRun > this.opts.limits.maxActions) {
        this.logger.warn({ actions: this.actionsRun }, 'call flow: too many actions, hanging up');
        return { kind: 'hangup' };
      }
      const action = list[i]!;
      this.current = createActionRunner(this.ctx, action);
      this.logger.debug({ type: action.type }, 'call flow: action');
      const outcome = await this.current.run();
      this.current = undefined;
      if (this.pending) return { kind: 'hangup' };
      if (outcome.kind === 'next') continue;
      if (outcome.kind === 'branch') {
        const o = await this.runList(outcome.actions);
        if (o.kind !== 'next') return o;
        continue;
      }
      return outcome;
    }
    return NEXT;
  }

  /**
   * The state as the static-script check compares it. A DIAL's call id and duration differ on
   * every run: only its outcome counts, or a static script dialing a busy number would redial it
   * until the callback limit.
   */
  private stateSignature(): string {
    const { dials, ...rest } = this.state;
    return JSON.stringify({ ...rest, dials: dials.map((d) => [d.name, d.status, d.no]) });
  }

  private async sayError(): Promise<void> {
    this.logger.error('call flow: no callback answered, playing the error prompt and hanging up');
    const say = new Say(this.ctx, { type: 'SAY', params: { text: this.opts.errorPrompt ?? ERROR_PROMPT, loop: 1 } });
    this.current = say;
    await say.run();
    this.current = undefined;
  }

  private requestOf(type: string, final = false): CallbackRequest {
    const r = this.opts.request;
    return {
      ...r,
      type,
      duration: Math.max(0, Math.round(this.opts.port.callTimeMs())),
      status: final ? 'completed' : 'live-in-progress',
      key_presses: this.state.keyPresses.map((k) => ({ ...k })),
      recordings: this.state.recordings.map((x) => ({ ...x })),
      // Only once a DIAL ran: the seed's requests have no such field.
      ...(this.state.dials.length ? { dials: this.state.dials.map((d) => ({ ...d })) } : {}),
      session_data: Object.keys(this.state.sessionData).length ? { ...this.state.sessionData } : r.session_data,
      end_time: final ? new Date().toISOString() : null,
    };
  }

  private async sendFinal(): Promise<void> {
    if (this.finalSent) return;
    this.finalSent = true;
    const cfg = this.opts.callback;
    const target: CallbackTarget = { url: cfg.statusCallbackUrl ?? cfg.url, method: cfg.method };
    const at = new Date().toISOString();
    try {
      const status = await this.opts.client.notify(
        target,
        cfg.format,
        this.requestOf('call_ended', true),
        this.opts.limits.finalCallbackTimeoutMs,
      );
      this.emit('callback', { type: 'call_ended', url: target.url, ok: status >= 200 && status < 300 });
      if (status < 200 || status > 299) {
        this.logger.warn({ url: target.url, status }, 'call flow: final callback not accepted');
        this.finalFailed(target.url, at, `HTTP ${status}`);
      }
    } catch (err) {
      this.logger.warn({ url: target.url, err: (err as Error).message }, 'call flow: final callback failed');
      this.emit('callback', { type: 'call_ended', url: target.url, ok: false, error: (err as Error).message });
      this.finalFailed(target.url, at, (err as Error).message);
    }
  }

  private finalFailed(url: string, at: string, error: string): void {
    this.emit('callbackFailure', {
      at,
      callbackType: 'call_ended',
      url,
      error,
      fallbackUrl: null,
      fallbackError: null,
      outcome: 'not_delivered',
    });
  }
}

/** The path to a LABEL, looking into IF branches too (first match wins). */
export function findLabel(list: readonly FlowAction[], label: string): LabelPath | undefined {
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (a.type === 'LABEL' && a.name === label) return [{ index: i }];
    if (a.type === 'IF') {
      for (const branch of ['then', 'orElse'] as const) {
        const sub = findLabel(a[branch], label);
        if (sub) return [{ index: i, branch }, ...sub];
      }
    }
  }
  return undefined;
}
