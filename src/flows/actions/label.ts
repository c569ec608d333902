import type { ActionOutcome, FlowActionRunner } from '../flow-context.js';
import { NEXT } from '../flow-context.js';

/** LABEL: a place GOTO jumps to; does nothing when reached in order. */
export class Label implements FlowActionRunner {
  async run(): Promise<ActionOutcome> {
    return NEXT;
  }
  stop(): void {}
}
