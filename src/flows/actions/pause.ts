import type { PauseAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT, Stoppable } from '../flow-context.js';

/** PAUSE: silence for `length` ms (cut short by stop, barge-in or the call ending). */
export class Pause extends Stoppable implements FlowActionRunner {
  constructor(
    ctx: FlowContext,
    private readonly action: PauseAction,
    private readonly external?: AbortSignal,
  ) {
    super(ctx);
  }

  async run(): Promise<ActionOutcome> {
    const signal = this.external ? AbortSignal.any([this.signal, this.external]) : this.signal;
    if (signal.aborted) return NEXT;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.action.params.length);
      signal.addEventListener('abort', done, { once: true });
    });
    return NEXT;
  }
}
