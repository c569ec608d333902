import type { RecordAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT, Stoppable } from '../flow-context.js';

/**
 * RECORD: a beep (unless `beep: false`), then the caller is recorded until `finish_on_key`,
 * `max_length` ms, or the call ends (a caller who hangs up has still left a message). The
 * recording's id is stored under the action's name in `recordings`. Ending on silence (`timeout`)
 * needs voice detection the media server does not have yet: `timeout` is accepted and ignored.
 */
export class Record extends Stoppable implements FlowActionRunner {
  constructor(
    ctx: FlowContext,
    private readonly action: RecordAction,
  ) {
    super(ctx);
  }

  async run(): Promise<ActionOutcome> {
    const { beep, finish_on_key: finishKey, max_length: maxMs } = this.action.params;
    const signal = this.signal;
    if (beep) await this.ctx.port.play({ tone: 'beep' }, { signal });
    if (signal.aborted) return NEXT;
    const recording = await this.ctx.port.record();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let unsubscribe: (() => void) | undefined;
    const why = await new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('max length'), maxMs);
      onAbort = () => resolve('stopped');
      signal.addEventListener('abort', onAbort, { once: true });
      unsubscribe = this.ctx.port.onDigit((d) => {
        if (finishKey && d === finishKey) resolve('finish key');
      });
    });
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    unsubscribe?.();
    const result = await recording.stop();
    const name = this.action.name ?? 'record';
    this.ctx.state.recordings = [...this.ctx.state.recordings.filter((r) => r.name !== name), { name, id: recording.id }];
    this.ctx.logger.info({ name, id: recording.id, why, durationMs: result.durationMs }, 'call flow: recorded');
    return NEXT;
  }
}
