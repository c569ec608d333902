import type { GotoAction } from './schema.js';
import type { ActionOutcome, FlowActionRunner } from '../flow-context.js';

/** GOTO: continues at the LABEL of that name (the runner resolves it; an unknown label is logged and skipped). */
export class Goto implements FlowActionRunner {
  constructor(private readonly action: GotoAction) {}
  async run(): Promise<ActionOutcome> {
    return { kind: 'goto', label: this.action.params.label };
  }
  stop(): void {}
}
