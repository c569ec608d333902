import type { SessionDataAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT } from '../flow-context.js';
import { FORBIDDEN_SEGMENTS } from '../variables.js';

/** Session data larger than this (as JSON) is refused: it is sent with every callback. */
export const MAX_SESSION_DATA_BYTES = 64 * 1024;

/** SESSIONDATA: merges its keys into the call's session data (a key set again is replaced). */
export class SessionData implements FlowActionRunner {
  constructor(
    private readonly ctx: FlowContext,
    private readonly action: SessionDataAction,
  ) {}

  async run(): Promise<ActionOutcome> {
    const merged: Record<string, unknown> = { ...this.ctx.state.sessionData };
    for (const [k, v] of Object.entries(this.action.session_data)) {
      if (FORBIDDEN_SEGMENTS.has(k)) continue;
      merged[k] = v;
    }
    const size = Buffer.byteLength(JSON.stringify(merged));
    if (size > MAX_SESSION_DATA_BYTES) {
      this.ctx.logger.warn({ size }, `call flow: SESSIONDATA refused, session data would exceed ${MAX_SESSION_DATA_BYTES} bytes`);
      return NEXT;
    }
    this.ctx.state.sessionData = merged;
    return NEXT;
  }

  stop(): void {}
}
