import type { SayAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT, Stoppable } from '../flow-context.js';
import { renderTemplate } from '../template.js';

/** `loop: 0` repeats until stopped (a COLLECT's barge-in or the call ending); bounded all the same. */
const ENDLESS_LOOPS = 100;

/** SAY: the text, with `${...}` filled from flow variables, synthesized and played `loop` times. */
export class Say extends Stoppable implements FlowActionRunner {
  constructor(
    ctx: FlowContext,
    private readonly action: SayAction,
    private readonly external?: AbortSignal,
  ) {
    super(ctx);
  }

  async run(): Promise<ActionOutcome> {
    const { text, loop, voice, language } = this.action.params;
    const rendered = renderTemplate(text, this.ctx.variables());
    const signal = this.external ? AbortSignal.any([this.signal, this.external]) : this.signal;
    const times = loop === 0 ? ENDLESS_LOOPS : loop;
    for (let i = 0; i < times && !signal.aborted; i++) {
      try {
        const pcm = this.ctx.tts.synthesize(rendered, { voice, language, signal });
        if ((await this.ctx.port.play({ pcm }, { signal })) === 'stopped') break;
      } catch (err) {
        // A prompt that cannot be spoken (bad voice, engine down) should not end the flow.
        if (!signal.aborted) this.ctx.logger.warn({ err }, 'call flow: SAY failed, skipped');
        break;
      }
    }
    return NEXT;
  }
}
