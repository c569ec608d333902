import type { CollectAction, PromptAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT, Stoppable } from '../flow-context.js';
import { Say } from './say.js';
import { Play } from './play.js';
import { Pause } from './pause.js';

/** The name key presses of an unnamed COLLECT are reported under. */
export const DEFAULT_COLLECT_NAME = 'collect';
/** A caller leaning on the keypad with no finishing key still ends the COLLECT. */
const MAX_DIGITS = 64;

/**
 * COLLECT: plays its prompts while listening for keys; the first key stops the prompts (barge-in).
 * Ends on `finish_on_key` (not part of the digits), after `num_digits` digits, or when no key came
 * for `timeout` ms after the prompts (and after each key). The digits (possibly none) are stored
 * under the action's name in `key_presses`, replacing an earlier entry of that name.
 */
export class Collect extends Stoppable implements FlowActionRunner {
  private digits = '';
  private readonly bargeIn = new AbortController();
  private finish!: () => void;
  private readonly finished = new Promise<void>((resolve) => {
    this.finish = resolve;
  });
  private timer: NodeJS.Timeout | undefined;
  private prompting = true;

  constructor(
    ctx: FlowContext,
    private readonly action: CollectAction,
  ) {
    super(ctx);
  }

  async run(): Promise<ActionOutcome> {
    const { finish_on_key: finishKey, num_digits: numDigits } = this.action.params;
    const unsubscribe = this.ctx.port.onDigit((digit) => {
      if (!this.bargeIn.signal.aborted) this.bargeIn.abort(new Error('barge-in'));
      if (finishKey && digit === finishKey) return this.finish();
      this.digits += digit;
      if ((numDigits > 0 && this.digits.length >= numDigits) || this.digits.length >= MAX_DIGITS) return this.finish();
      if (!this.prompting) this.armTimeout();
    });
    const signal = this.signal;
    const onAbort = (): void => this.finish();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (!signal.aborted) await this.prompts(this.action.actions);
      this.prompting = false;
      if (!signal.aborted) this.armTimeout();
      await this.finished;
    } finally {
      clearTimeout(this.timer);
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted && this.ctx.port.ended.aborted) return NEXT;
    this.store();
    return NEXT;
  }

  private async prompts(list: PromptAction[]): Promise<void> {
    const signal = AbortSignal.any([this.bargeIn.signal, this.signal]);
    for (const prompt of list) {
      if (signal.aborted) return;
      const runner =
        prompt.type === 'SAY'
          ? new Say(this.ctx, prompt, signal)
          : prompt.type === 'PLAY'
            ? new Play(this.ctx, prompt, signal)
            : new Pause(this.ctx, prompt, signal);
      await runner.run();
    }
  }

  private armTimeout(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finish(), this.action.params.timeout);
  }

  private store(): void {
    const name = this.action.name ?? DEFAULT_COLLECT_NAME;
    const list = this.ctx.state.keyPresses.filter((k) => k.name !== name);
    // Last, so `$keyPresses` (the latest COLLECT's digits) reads this one.
    list.push({ name, digits: this.digits });
    this.ctx.state.keyPresses = list;
    this.ctx.logger.info({ name, digits: this.digits.length }, 'call flow: keys collected');
  }
}
