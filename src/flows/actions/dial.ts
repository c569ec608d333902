import type { DialAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT, Stoppable } from '../flow-context.js';
import { renderTemplate } from '../template.js';
import { MAX_SESSION_DATA_BYTES, mergedSessionData } from './session-data.js';
import type { FlowDialOutcome } from '../telephony.js';

/**
 * DIAL: rings a number through the trunk or one of the project's agents and bridges the caller to
 * whoever answers; the script goes on when the dialed party hangs up (or did not answer). The
 * result (`answered`, `no-answer`, `busy`, `failed`, `canceled`), the connected time and the dialed
 * leg's call id are stored under the action's name in `dials` for the next callback and for
 * conditions (`$dialStatus == 'busy'`). `session_data` is merged into the call's session data
 * first, so the next callback carries it whatever the outcome.
 */
export class Dial extends Stoppable implements FlowActionRunner {
  constructor(
    ctx: FlowContext,
    private readonly action: DialAction,
  ) {
    super(ctx);
  }

  async run(): Promise<ActionOutcome> {
    const { ctx, action } = this;
    const name = action.name ?? 'dial';
    if (action.session_data) this.mergeSessionData(action.session_data);
    const vars = ctx.variables();
    const no = renderTemplate(action.params.no, vars).trim();
    const callerIdNo = action.params.caller_id_no ? renderTemplate(action.params.caller_id_no, vars).trim() : undefined;
    let outcome: FlowDialOutcome;
    if (!ctx.telephony) {
      ctx.logger.error('call flow: DIAL needs the call layer, which this flow runs without; skipped');
      outcome = { status: 'failed', durationMs: 0, callId: null, reason: 'no call layer' };
    } else if (!no) {
      ctx.logger.warn('call flow: DIAL with an empty number');
      outcome = { status: 'failed', durationMs: 0, callId: null, reason: 'empty number' };
    } else {
      outcome = await ctx.telephony.dial(
        {
          no,
          ...(callerIdNo ? { callerIdNo } : {}),
          ringTimeoutMs: action.params.timeout * 1000,
          ...(action.params.max_call_time !== undefined ? { maxCallTimeMs: action.params.max_call_time } : {}),
        },
        this.signal,
      );
    }
    const result = {
      name,
      status: outcome.status,
      duration: Math.max(0, Math.round(outcome.durationMs)),
      call_id: outcome.callId,
      no,
    };
    ctx.state.dials = [...ctx.state.dials.filter((d) => d.name !== name), result];
    ctx.logger.info({ ...result, reason: outcome.reason }, 'call flow: dial ended');
    return NEXT;
  }

  private mergeSessionData(data: Record<string, unknown>): void {
    const merged = mergedSessionData(this.ctx.state.sessionData, data);
    if (!merged) {
      this.ctx.logger.warn(`call flow: DIAL session_data refused, session data would exceed ${MAX_SESSION_DATA_BYTES} bytes`);
      return;
    }
    this.ctx.state.sessionData = merged;
  }
}
