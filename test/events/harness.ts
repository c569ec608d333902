/** A dispatcher and bus over a test store, with fast retries; closed on teardown. */
import { pino } from 'pino';
import type { Store } from '../../src/store/index.js';
import { EventBus } from '../../src/events/event-bus.js';
import { WebhookDispatcher, type DispatcherOptions } from '../../src/events/webhook-dispatcher.js';
import type { RecordingLinks } from '../../src/events/recording-links.js';
import type { TeardownHost } from '../helpers/platform.js';

export function startDispatcher(
  t: TeardownHost,
  store: Store,
  opts: Partial<DispatcherOptions> & { links?: RecordingLinks } = {},
): { bus: EventBus; dispatcher: WebhookDispatcher } {
  const bus = new EventBus(store);
  const dispatcher = new WebhookDispatcher({
    store,
    bus,
    logger: pino({ level: process.env.SB_TEST_LOG ?? 'silent' }),
    allowPrivateTargets: true,
    timeoutMs: 2000,
    concurrency: 16,
    retryBaseMs: 200,
    retryMaxMs: 1000,
    retryWindowMs: 3600_000,
    pollMs: 500,
    ...opts,
  });
  dispatcher.start();
  t.teardown(async () => {
    await dispatcher.close();
    bus.close();
  });
  return { bus, dispatcher };
}
