import type { SessionDataAction } from './schema.js';
import { type ActionOutcome, type FlowContext, type FlowActionRunner, NEXT } from '../flow-context.js';
import { FORBIDDEN_SEGMENTS } from '../variables.js';

/** Session data larger than this (as JSON) is refused: it is sent with every callback. */
export const MAX_SESSION_DATA_BYTES = 64 * 1024;

/**
 * `current` with `data`'s keys set (a key set again is replaced, nested objects whole; keys that
 * could reach a prototype are skipped), or undefined when the result would exceed
 * MAX_SESSION_DATA_BYTES. SESSIONDATA, DIAL's session_data and REST injection all merge this way.
 */
export function mergedSessionData(
  current: Record<string, unknown>,
  data: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const merged: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(data)) {
    if (FORBIDDEN_SEGMENTS.has(k)) continue;
    // Defined, not assigned: a `__proto__` key must never reach the setter of the same name.
    Object.defineProperty(merged, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return Buffer.byteLength(JSON.stringify(merged)) > MAX_SESSION_DATA_BYTES ? undefined : merged;
}

/** SESSIONDATA: merges its keys into the call's session data (a key set again is replaced). */
export class SessionData implements FlowActionRunner {
  constructor(
    private readonly ctx: FlowContext,
    private readonly action: SessionDataAction,
  ) {}

  async run(): Promise<ActionOutcome> {
    const merged = mergedSessionData(this.ctx.state.sessionData, this.action.session_data);
    if (!merged) {
      this.ctx.logger.warn(`call flow: SESSIONDATA refused, session data would exceed ${MAX_SESSION_DATA_BYTES} bytes`);
      return NEXT;
    }
    this.ctx.state.sessionData = merged;
    return NEXT;
  }

  stop(): void {}
}
