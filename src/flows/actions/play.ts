import type { PlayAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT, Stoppable } from '../flow-context.js';

const ENDLESS_LOOPS = 100;

/**
 * PLAY: audio from a URL (a WAV file; fetched once, cached), `loop` times. Audio that cannot be
 * fetched or decoded is logged and skipped: the rest of the flow still runs.
 */
export class Play extends Stoppable implements FlowActionRunner {
  constructor(
    ctx: FlowContext,
    private readonly action: PlayAction,
    private readonly external?: AbortSignal,
  ) {
    super(ctx);
  }

  async run(): Promise<ActionOutcome> {
    const { url, loop } = this.action.params;
    const signal = this.external ? AbortSignal.any([this.signal, this.external]) : this.signal;
    let file: string;
    try {
      file = await this.ctx.audio.fetch(url, signal);
    } catch (err) {
      if (!signal.aborted) this.ctx.logger.warn({ err, url }, 'call flow: PLAY audio unavailable, skipped');
      return NEXT;
    }
    const times = loop === 0 ? ENDLESS_LOOPS : loop;
    for (let i = 0; i < times && !signal.aborted; i++) {
      const result = await this.ctx.port.play({ file }, { signal });
      if (result === 'stopped') break;
    }
    return NEXT;
  }
}
