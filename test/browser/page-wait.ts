/**
 * Waiting for a page expression to hold. Playwright's `waitForFunction(string)` polls by `eval`
 * inside the page, which our pages' Content-Security-Policy (`script-src 'self'`) forbids: when the
 * expression was not already true at the first look (a slow load, a busy machine), it threw
 * "EvalError ... unsafe-eval". `evaluate` goes through the debugging protocol, which the policy
 * does not cover.
 */
import type { Frame, Page } from 'playwright-core';
import { untilOrThrow } from '../helpers/wait.js';

export async function untilPage(target: Page | Frame, expression: string, timeoutMs = 15000): Promise<void> {
  await untilOrThrow(expression, async () => (await target.evaluate(expression)) === true, { timeoutMs, intervalMs: 50 });
}
