/**
 * The transactional outbox. An event is written in the same transaction as the state change that
 * caused it, with one pending delivery per matching active webhook; the dispatcher sends them
 * after commit, and `committed` tells in-process consumers (the event bus) the moment it is safe.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { nowIso } from '../secrets.js';
import { subscribes } from './webhooks.js';

/** The PRODUCT.md envelope. */
export interface EventEnvelope<D = Record<string, unknown>> {
  id: string;
  type: string;
  created_at: string;
  data: D;
}

export interface StoredEvent {
  projectId: number;
  callId: number | null;
  envelope: EventEnvelope;
  /** Pending deliveries created for it. */
  deliveries: number;
}

export interface NewEvent {
  projectId: number;
  type: string;
  callId?: number | null;
  data: Record<string, unknown>;
}

/** A delivery ready to send, with what sending it needs. */
export interface DueDelivery {
  id: number;
  webhookId: number;
  orderingKey: string;
  attempts: number;
  createdAt: string;
  eventId: string;
  type: string;
  body: string;
  url: string;
  secret: string;
}

export interface AttemptResult {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface RecordedAttempt {
  delivery: DueDelivery;
  result: AttemptResult;
  outcome: { delivered: true } | { delivered: false; retryAt: string | null };
}

/** Seconds precision, as the seed's `created_at`. */
const isoSeconds = (d = new Date()): string => `${d.toISOString().slice(0, 19)}Z`;

export class OutboxRepository extends EventEmitter<{ committed: [StoredEvent[]] }> {
  constructor(private readonly db: Kysely<DB>) {
    super();
  }

  /** Writes the event and its deliveries on `trx`; announce the result with `announce` once committed. */
  async enqueueIn(trx: Kysely<DB>, e: NewEvent): Promise<StoredEvent> {
    const envelope: EventEnvelope = {
      id: `evt_${randomBytes(16).toString('hex')}`,
      type: e.type,
      created_at: isoSeconds(),
      data: e.data,
    };
    const at = nowIso();
    const ev = await trx
      .insertInto('events')
      .values({
        event_id: envelope.id,
        project_id: e.projectId,
        type: e.type,
        call_id: e.callId ?? null,
        body: JSON.stringify(envelope),
        created_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const hooks = await trx
      .selectFrom('webhooks')
      .select(['id', 'events'])
      .where('project_id', '=', e.projectId)
      .where('active', '=', 1)
      .execute();
    const matching = hooks.filter((h) => subscribes(JSON.parse(h.events) as string[], e.type));
    if (matching.length) {
      // One call's events keep their order per endpoint; anything else is independent.
      const orderingKey = e.callId ? `call:${e.callId}` : `event:${envelope.id}`;
      await trx
        .insertInto('webhook_deliveries')
        .values(
          matching.map((h) => ({
            event_row_id: ev.id,
            webhook_id: h.id,
            ordering_key: orderingKey,
            state: 'pending',
            attempts: 0,
            next_attempt_at: at,
            created_at: at,
          })),
        )
        .execute();
    }
    return { projectId: e.projectId, callId: e.callId ?? null, envelope, deliveries: matching.length };
  }

  /** Tells subscribers about events whose transaction committed. */
  announce(events: StoredEvent[]): void {
    if (events.length) this.emit('committed', events);
  }

  /** An event with no state change of its own (an inbound SMS): its own transaction. */
  async publish(e: NewEvent): Promise<StoredEvent> {
    const stored = await this.db.transaction().execute((trx) => this.enqueueIn(trx, e));
    this.announce([stored]);
    return stored;
  }

  /**
   * Pending deliveries due by `now` whose predecessors (same webhook, same ordering key) are all
   * finished, oldest first. Paused webhooks hold theirs.
   */
  async due(now: string, limit: number): Promise<DueDelivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as e', 'e.id', 'd.event_row_id')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select([
        'd.id',
        'd.webhook_id',
        'd.ordering_key',
        'd.attempts',
        'd.created_at',
        'e.event_id',
        'e.type',
        'e.body',
        'w.url',
        'w.secret',
      ])
      .where('d.state', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where('w.active', '=', 1)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as p')
              .select('p.id')
              .whereRef('p.webhook_id', '=', 'd.webhook_id')
              .whereRef('p.ordering_key', '=', 'd.ordering_key')
              .where('p.state', '=', 'pending')
              .whereRef('p.id', '<', 'd.id'),
          ),
        ),
      )
      .orderBy('d.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhook_id,
      orderingKey: r.ordering_key,
      attempts: r.attempts,
      createdAt: r.created_at,
      eventId: r.event_id,
      type: r.type,
      body: r.body,
      url: r.url,
      secret: r.secret,
    }));
  }

  /** When the next pending delivery of an active webhook is due (ISO), if any. */
  async nextDueAt(): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select(({ fn }) => fn.min('d.next_attempt_at').as('at'))
      .where('d.state', '=', 'pending')
      .where('w.active', '=', 1)
      .executeTakeFirst();
    return (r?.at as string | null | undefined) ?? undefined;
  }

  /**
   * Logs attempts and moves each delivery on, all in one transaction: `delivered` after a 2xx,
   * `failed` when `retryAt` is null (retries exhausted), else pending until `retryAt`.
   */
  async recordAttempts(batch: readonly RecordedAttempt[]): Promise<void> {
    if (!batch.length) return;
    const at = nowIso();
    await this.db.transaction().execute(async (trx) => {
      for (const { delivery: d, result: r, outcome } of batch) {
        const attempt = d.attempts + 1;
        const set = outcome.delivered
          ? { state: 'delivered', finished_at: at }
          : outcome.retryAt
            ? { next_attempt_at: outcome.retryAt }
            : { state: 'failed', finished_at: at };
        await trx
          .updateTable('webhook_deliveries')
          .set({ attempts: attempt, ...set })
          .where('id', '=', d.id)
          .execute();
        await trx
          .insertInto('webhook_attempts')
          .values({
            delivery_id: d.id,
            webhook_id: d.webhookId,
            event_id: d.eventId,
            type: d.type,
            attempt,
            status_code: r.statusCode,
            duration_ms: Math.round(r.durationMs),
            error: r.error,
            at,
          })
          .execute();
      }
    });
  }

  /** Counts by state, for tests, the benchmark and metrics. */
  async counts(): Promise<Record<'pending' | 'delivered' | 'failed', number>> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .select(['state', ({ fn }) => fn.countAll().as('n')])
      .groupBy('state')
      .execute();
    const out = { pending: 0, delivered: 0, failed: 0 };
    for (const r of rows) out[r.state as keyof typeof out] = Number(r.n);
    return out;
  }

  /** A project's events, oldest first (the bus's durable record). */
  async events(projectId: number, limit = 100): Promise<EventEnvelope[]> {
    const rows = await this.db
      .selectFrom('events')
      .select('body')
      .where('project_id', '=', projectId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => JSON.parse(r.body) as EventEnvelope);
  }
}
