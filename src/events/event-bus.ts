/**
 * The in-process event bus. Every event reaches it only after the transaction that wrote it to
 * the outbox committed, so a consumer never sees an event the store could still roll back.
 * Consumers (the webhook dispatcher now; CDRs, the live-transcript socket and the call-flow loop
 * later) subscribe; nothing calls them directly.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { EventEnvelope, StoredEvent, Store } from '../store/index.js';

export interface BusEvent {
  projectId: number;
  callId: number | null;
  envelope: EventEnvelope;
  deliveries: number;
}

export class EventBus extends EventEmitter<{ event: [BusEvent] }> {
  private readonly onCommitted = (events: StoredEvent[]): void => {
    for (const e of events) {
      try {
        this.emit('event', e);
      } catch (err) {
        this.logger?.error({ err, type: e.envelope.type }, 'event consumer failed');
      }
    }
  };

  constructor(
    private readonly store: Store,
    private readonly logger?: Logger,
  ) {
    super();
    store.outbox.on('committed', this.onCommitted);
  }

  /** Subscribes to one type (or `*`). Returns the unsubscribe function. */
  subscribe(type: string, fn: (e: BusEvent) => void): () => void {
    const h = (e: BusEvent): void => {
      if (type === '*' || e.envelope.type === type) fn(e);
    };
    this.on('event', h);
    return () => this.off('event', h);
  }

  close(): void {
    this.store.outbox.off('committed', this.onCommitted);
    this.removeAllListeners();
  }
}
