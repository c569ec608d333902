import type { CallHandler, HandlerContext } from './handler.js';

/** `*43`: what the caller says comes straight back, through the media server. */
export class EchoHandler implements CallHandler {
  constructor(private readonly ctx: HandlerContext) {}

  async run(): Promise<void> {
    const leg = await this.ctx.caller.answer();
    if (!leg) return;
    await this.ctx.call.session.echo(leg.endpoint);
  }

  /** The echo lives in the media session, which the ending call closes. */
  stop(): void {}
}
