import type { RedirectAction } from './schema.js';
import type { ActionOutcome, FlowActionRunner } from '../flow-context.js';

/** REDIRECT: drops the rest of the actions and asks the new URL (with `method`) what to do next. */
export class Redirect implements FlowActionRunner {
  constructor(private readonly action: RedirectAction) {}
  async run(): Promise<ActionOutcome> {
    return { kind: 'redirect', url: this.action.params.url, method: this.action.params.method };
  }
  stop(): void {}
}
