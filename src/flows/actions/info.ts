import type { InfoAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT } from '../flow-context.js';

/**
 * INFO: an application event to the caller, as a SIP INFO `{"event","data"}` in the call. The flow
 * goes on whatever the caller answers: a page that refuses it (or a phone that knows no such
 * thing) is logged, not a reason to stop the call.
 */
export class Info implements FlowActionRunner {
  constructor(
    private readonly ctx: FlowContext,
    private readonly action: InfoAction,
  ) {}

  async run(): Promise<ActionOutcome> {
    const { event, data } = this.action.params;
    const send = this.ctx.port.sendInfo;
    if (!send) {
      this.ctx.logger.warn({ event }, 'call flow: INFO skipped, this call cannot carry one');
      return NEXT;
    }
    try {
      await send.call(this.ctx.port, event, data ?? null);
    } catch (err) {
      this.ctx.logger.info({ err, event }, 'call flow: INFO not delivered');
    }
    return NEXT;
  }

  stop(): void {}
}
