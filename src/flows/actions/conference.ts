import type { ConferenceAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT, Stoppable } from '../flow-context.js';
import { renderTemplate } from '../template.js';

/**
 * CONFERENCE: the caller joins the project's room of that name (created by the first to join,
 * closed when the last leaves) and stays until the finish key, `max_time`, the room being ended
 * by an `end_on_exit` member, or hanging up; then the script goes on with the next action.
 */
export class Conference extends Stoppable implements FlowActionRunner {
  constructor(
    ctx: FlowContext,
    private readonly action: ConferenceAction,
  ) {
    super(ctx);
  }

  async run(): Promise<ActionOutcome> {
    const { ctx } = this;
    const p = this.action.params;
    const name = renderTemplate(p.name, ctx.variables()).trim();
    if (!ctx.telephony) {
      ctx.logger.error('call flow: CONFERENCE needs the call layer, which this flow runs without; skipped');
      return NEXT;
    }
    if (!name) {
      ctx.logger.warn('call flow: CONFERENCE without a room name; skipped');
      return NEXT;
    }
    // The joining caller hears the beep (the room's mixer has no player of its own).
    if (p.beep) await ctx.port.play({ tone: 'beep' }, { signal: this.signal });
    if (this.signal.aborted) return NEXT;
    // Leaving is this action's business: the finish key and max time abort the stay.
    const leave = new AbortController();
    const unsubscribe = ctx.port.onDigit((d) => {
      if (p.finish_on_key && d === p.finish_on_key) leave.abort(new Error('finish key'));
    });
    const timer = p.max_time !== undefined ? setTimeout(() => leave.abort(new Error('max time')), p.max_time) : undefined;
    try {
      const outcome = await ctx.telephony.conference(
        { name, muted: p.muted, endOnExit: p.end_on_exit },
        AbortSignal.any([this.signal, leave.signal]),
      );
      ctx.logger.info({ room: name, ...outcome }, 'call flow: left the conference');
    } finally {
      clearTimeout(timer);
      unsubscribe();
    }
    return NEXT;
  }
}
