import type { DialAction, ConferenceAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT } from '../flow-context.js';

/**
 * DIAL and CONFERENCE are not built into the engine yet: the action is logged as an error
 * and skipped, so the rest of the flow (a goodbye, a HANGUP) still runs.
 */
export class Unsupported implements FlowActionRunner {
  constructor(
    private readonly ctx: FlowContext,
    private readonly action: DialAction | ConferenceAction,
  ) {}
  async run(): Promise<ActionOutcome> {
    this.ctx.logger.error({ type: this.action.type }, `call flow: ${this.action.type} is not supported yet, skipped`);
    return NEXT;
  }
  stop(): void {}
}
