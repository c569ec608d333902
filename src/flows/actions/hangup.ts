import type { ActionOutcome, FlowActionRunner } from '../flow-context.js';

/** HANGUP: ends the call (the runner hangs up and sends the final callback). */
export class Hangup implements FlowActionRunner {
  async run(): Promise<ActionOutcome> {
    return { kind: 'hangup' };
  }
  stop(): void {}
}
