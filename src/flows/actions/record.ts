import type { RecordAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT, Stoppable } from '../flow-context.js';

/**
 * RECORD: a beep (unless `beep: false`), then the caller is recorded until `finish_on_key`,
 * `max_length` ms, `timeout` ms of silence (0: silence never ends it; the media worker checks
 * the energy of each 20 ms frame, and the count starts with the recording, so a caller who says
 * nothing ends it too), or the call ends (a caller who hangs up has still left a message). The
 * recording's id is stored under the action's name in `recordings`.
 */
export class Record extends Stoppable implements FlowActionRunner {
  constructor(
    ctx: FlowContext,
    private readonly action: RecordAction,
  ) {
    super(ctx);
  }

  async run(): Promise<ActionOutcome> {
    const { beep, finish_on_key: finishKey, max_length: maxMs, timeout: silenceMs } = this.action.params;
    const signal = this.signal;
    if (beep) await this.ctx.port.play({ tone: 'beep' }, { signal });
    if (signal.aborted) return NEXT;
    // The silence may be reported before the wait below has started listening: remember it.
    let silent = false;
    let onSilence: (() => void) | undefined;
    const recording = await this.ctx.port.record(
      silenceMs > 0
        ? {
            silenceMs,
            onSilence: () => {
              silent = true;
              onSilence?.();
            },
          }
        : {},
    );
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let unsubscribe: (() => void) | undefined;
    const why = await new Promise<string>((resolve) => {
      if (silent) return resolve('silence');
      onSilence = () => resolve('silence');
      timer = setTimeout(() => resolve('max length'), maxMs);
      onAbort = () => resolve('stopped');
      signal.addEventListener('abort', onAbort, { once: true });
      unsubscribe = this.ctx.port.onDigit((d) => {
        if (finishKey && d === finishKey) resolve('finish key');
      });
    });
    clearTimeout(timer);
    onSilence = undefined;
    if (onAbort) signal.removeEventListener('abort', onAbort);
    unsubscribe?.();
    const result = await recording.stop();
    const name = this.action.name ?? 'record';
    this.ctx.state.recordings = [...this.ctx.state.recordings.filter((r) => r.name !== name), { name, id: recording.id }];
    this.ctx.logger.info({ name, id: recording.id, why, durationMs: result.durationMs }, 'call flow: recorded');
    return NEXT;
  }
}
