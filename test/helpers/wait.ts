/**
 * Waiting on conditions instead of fixed sleeps: a loaded machine stretches every fixed delay past
 * what a test guessed, while a condition is met as soon as it holds.
 */

/** Resolves after `ms`. Only for delays that ARE the test (a measured hold, a span of audio); say so where used. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface UntilOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** How often to look (default 25 ms). */
  intervalMs?: number;
}

/**
 * Resolves true once `check` holds, or false after the timeout: the assertion that follows still
 * reports what was observed, with its own message.
 */
export async function until(check: () => boolean | Promise<boolean>, opts: UntilOptions = {}): Promise<boolean> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10000);
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(opts.intervalMs ?? 25);
  }
}

/** Like `until`, but rejects with `what` in the message when the condition never holds. */
export async function untilOrThrow(
  what: string,
  check: () => boolean | Promise<boolean>,
  opts: UntilOptions = {},
): Promise<void> {
  if (!(await until(check, opts))) throw new Error(`timed out after ${opts.timeoutMs ?? 10000} ms waiting for ${what}`);
}
