import { EventEmitter } from 'node:events';
import type { Call } from './call.js';
import type { HangupCause } from './call-status.js';

/** The calls in progress on this node; `added` announces each new call (tests, and later the event bus). */
export class CallRegistry extends EventEmitter<{ added: [Call] }> {
  private readonly calls = new Map<string, Call>();

  add(call: Call): void {
    this.calls.set(call.id, call);
    call.once('ended', () => this.calls.delete(call.id));
    this.emit('added', call);
  }

  get(id: string): Call | undefined {
    return this.calls.get(id);
  }
  get size(): number {
    return this.calls.size;
  }
  list(): Call[] {
    return [...this.calls.values()];
  }

  /** Ends every call (shutdown). */
  async endAll(cause: HangupCause | string): Promise<void> {
    await Promise.allSettled(this.list().map((c) => c.hangup(cause)));
  }
}
