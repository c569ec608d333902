import type { CallContext } from './context.js';

/** `*43`: what the caller says comes straight back, through the media server. */
export async function runEcho(ctx: CallContext): Promise<void> {
  const leg = await ctx.answerCaller();
  if (!leg) return;
  await ctx.call.session.echo(leg.endpoint);
}
