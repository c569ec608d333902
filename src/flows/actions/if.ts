import type { IfAction } from './schema.js';
import type { ActionOutcome, FlowContext, FlowActionRunner } from '../flow-context.js';
import { evaluateCondition } from '../expression.js';

/** IF: runs `then` when the condition holds, else `orElse`. A bad condition is false (and logged). */
export class If implements FlowActionRunner {
  constructor(
    private readonly ctx: FlowContext,
    private readonly action: IfAction,
  ) {}

  async run(): Promise<ActionOutcome> {
    const { value, error } = evaluateCondition(this.action.condition, this.ctx.variables());
    if (error)
      this.ctx.logger.warn(
        { condition: this.action.condition.slice(0, 200), error },
        'call flow: IF condition invalid, taken as false',
      );
    return { kind: 'branch', actions: value ? this.action.then : this.action.orElse };
  }

  stop(): void {}
}
