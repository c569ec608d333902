import type { Call } from '../call.js';
import type { CallerParty } from '../caller-invite.js';

/**
 * What runs a call once it is routed. `run()` resolves when the handler has nothing more to do
 * (the call may go on, bridged); `stop()` is called when the call ends and must make `run()`
 * return soon: cancel ringing, stop prompts. Handlers never send the caller's final response:
 * they answer the caller, or end the call with the SIP status the caller should hear.
 */
export interface CallHandler {
  run(): Promise<void>;
  stop(): void;
}

export interface HandlerContext {
  call: Call;
  /** The inbound caller (CallerInvite), or an API call's answered first leg (AnsweredParty). */
  caller: CallerParty;
  recordingsDir: string;
}

/** Runs a handler until it is done; the call ending stops it, and a handler that throws ends the call. */
export async function runHandler(call: Call, handler: CallHandler): Promise<void> {
  const stop = () => handler.stop();
  call.once('ending', stop);
  if (call.isEnded()) handler.stop();
  try {
    await handler.run();
  } catch (err) {
    // A handler that throws must not leave the caller ringing or a leg up.
    call.logger.error({ err }, 'call handler failed');
    await call.hangup({ status: 'failed', sipStatus: 500, sipReason: 'Server Internal Error', reason: 'handler failed' });
  } finally {
    call.off('ending', stop);
  }
}
