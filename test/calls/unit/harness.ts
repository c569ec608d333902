import { CallRegistry } from '../../../src/calls/call-registry.js';
import { CallRouter } from '../../../src/calls/router.js';
import { CallService } from '../../../src/calls/call-service.js';
import type { Call } from '../../../src/calls/call.js';
import { capturedLogger, FakeDirectory, FakeInvite, FakeMedia, FakeSip, OFFER, until, type FakeAttempt } from './fakes.js';

/** A CallService on fakes: `bob` is registered, `carol` is a user who is not, numbers go to trunk `carrier`. */
export function callLayer(opts: { ringTimeoutMs?: number; recording?: boolean } = {}) {
  const sip = new FakeSip();
  const media = new FakeMedia();
  const registry = new CallRegistry();
  const { logger, lines } = capturedLogger();
  const directory = new FakeDirectory(['bob', 'carol']);
  const router = new CallRouter({ directory, defaultTrunk: 'carrier' });
  const service = new CallService({
    sip,
    media,
    router,
    registry,
    recordingsDir: '/nonexistent',
    logger,
    recording: { enabled: opts.recording ?? false, sampleRate: 8000 },
    ringTimeoutMs: opts.ringTimeoutMs ?? 10_000,
  });
  service.start();
  const calls: Call[] = [];
  registry.on('added', (c) => calls.push(c));
  return {
    sip,
    media,
    registry,
    service,
    lines,
    calls,
    directory,
    /** An INVITE from alice to `dialed` arrives. */
    invite(dialed: string, offer = OFFER, origin?: FakeInvite['origin']): FakeInvite {
      const inv = new FakeInvite(dialed, offer, origin);
      sip.emit('call', inv);
      return inv;
    },
    async nextAttempt(n = sip.attempts.length): Promise<FakeAttempt> {
      await until(() => sip.attempts.length > n, 'an outbound INVITE');
      return sip.attempts[n]!;
    },
    /** The one `call ended` log line for the call whose caller dialed `to`. */
    outcomeLines(to: string): Record<string, unknown>[] {
      return lines.filter((l) => l.msg === 'call ended' && l.to === to);
    },
  };
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
