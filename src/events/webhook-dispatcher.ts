/**
 * Delivers the outbox. Wakes when the bus reports committed events and on a timer for retries;
 * sends at most `concurrency` at once; never two of one (webhook, call) pair at once, and never
 * one before its predecessor finished, so one call's events reach an endpoint in order. A 2xx ends
 * a delivery; anything else is retried with exponential backoff and jitter until `retryWindowMs`
 * after the event, then marked failed. State lives in the store, so a restart resumes where it was.
 * Results are written in batches (one transaction per tick), and a delivery counts as in flight
 * until its result is stored, so it is never picked twice.
 */
import type { Logger } from 'pino';
import type { DueDelivery, RecordedAttempt, Store } from '../store/index.js';
import type { EventBus } from './event-bus.js';
import type { RecordingLinks } from './recording-links.js';
import { WebhookSender } from './webhook-sender.js';

export interface DispatcherOptions {
  store: Store;
  bus: EventBus;
  links?: RecordingLinks;
  logger: Logger;
  allowPrivateTargets: boolean;
  timeoutMs: number;
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  retryWindowMs: number;
  /** Longest sleep between looks at the outbox (deliveries written by another process). */
  pollMs: number;
}

export class WebhookDispatcher {
  private readonly sender: WebhookSender;
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly busyKeys = new Set<string>();
  /** Fetched and eligible, not yet started. */
  private queue: DueDelivery[] = [];
  private results: { rec: RecordedAttempt; done: () => void }[] = [];
  private flushing = false;
  private unsubscribe?: () => void;
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
  private closed = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.sender = new WebhookSender({
      allowPrivateTargets: opts.allowPrivateTargets,
      timeoutMs: opts.timeoutMs,
      maxSockets: opts.concurrency,
    });
  }

  start(): void {
    this.unsubscribe = this.opts.bus.subscribe('*', (e) => {
      if (e.deliveries > 0) this.wake();
    });
    this.wake();
  }

  /** Look at the outbox now (coalesced). */
  wake(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    setImmediate(() => {
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        if (this.closed) break;
        this.startQueued();
        if (this.inflight.size >= this.opts.concurrency) break;
        const due = await this.opts.store.outbox.due(new Date().toISOString(), this.opts.concurrency * 4 + this.inflight.size);
        this.queue = due.filter((d) => !this.inflight.has(d.id));
        this.startQueued();
      } while (this.again);
    } catch (err) {
      if (!this.closed) this.opts.logger.error({ err }, 'webhook outbox read failed');
    } finally {
      this.pumping = false;
      if (this.again) this.wake();
      // With attempts in flight their completion wakes us; only an idle dispatcher needs a timer.
      else if (this.inflight.size === 0) await this.schedule();
    }
  }

  private startQueued(): void {
    const rest: DueDelivery[] = [];
    for (const d of this.queue) {
      const key = `${d.webhookId}|${d.orderingKey}`;
      if (this.inflight.size >= this.opts.concurrency || this.inflight.has(d.id) || this.busyKeys.has(key)) {
        rest.push(d);
        continue;
      }
      this.busyKeys.add(key);
      const p = this.deliver(d).finally(() => {
        this.inflight.delete(d.id);
        this.busyKeys.delete(key);
        // Work on hand goes first; the outbox is read again once it runs out.
        if (this.queue.length) this.startQueued();
        if (this.queue.length === 0) this.wake();
      });
      this.inflight.set(d.id, p);
    }
    this.queue = rest;
  }

  /** Sleeps until the next retry is due, or `pollMs` at most. */
  private async schedule(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.timer);
    let wait = this.opts.pollMs;
    try {
      const next = await this.opts.store.outbox.nextDueAt();
      if (next) wait = Math.max(5, Math.min(wait, Date.parse(next) - Date.now()));
    } catch {
      /* the poll will try again */
    }
    if (this.closed) return;
    this.timer = setTimeout(() => this.wake(), wait);
    this.timer.unref();
  }

  private async deliver(d: DueDelivery): Promise<void> {
    const body = this.bodyFor(d.body);
    const r = await this.sender.post(d.url, body, d.secret, d.eventId);
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
    const attempt = d.attempts + 1;
    let retryAt: string | null = null;
    if (!ok) {
      const base = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** Math.min(attempt - 1, 30));
      // ±25 % so endpoints that failed together do not all come back at the same instant.
      const delay = base * (0.75 + Math.random() * 0.5);
      const giveUp = Date.now() - Date.parse(d.createdAt) >= this.opts.retryWindowMs;
      retryAt = giveUp ? null : new Date(Date.now() + delay).toISOString();
      this.opts.logger[giveUp ? 'warn' : 'debug'](
        { webhookId: d.webhookId, eventId: d.eventId, attempt, status: r.statusCode, error: r.error },
        giveUp ? 'webhook delivery failed for good' : 'webhook delivery failed, will retry',
      );
    }
    await new Promise<void>((done) => {
      this.results.push({
        rec: { delivery: d, result: r, outcome: ok ? { delivered: true } : { delivered: false, retryAt } },
        done,
      });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => {
          void this.flush();
        });
      }
    });
  }

  /** Stores every result gathered since the last flush in one transaction. */
  private async flush(): Promise<void> {
    while (this.results.length) {
      const batch = this.results;
      this.results = [];
      try {
        await this.opts.store.outbox.recordAttempts(batch.map((b) => b.rec));
      } catch (err) {
        // Left pending: the delivery is tried again (the receiver dedupes by the event id).
        if (!this.closed) this.opts.logger.error({ err }, 'recording webhook attempts failed');
      }
      for (const b of batch) b.done();
    }
    this.flushing = false;
  }

  /** A recording path in the stored envelope becomes a fresh signed URL at each attempt. */
  private bodyFor(stored: string): string {
    if (!this.opts.links || !stored.includes('"recording_url":"/recordings/')) return stored;
    const env = JSON.parse(stored) as { data: { id: number; recording_url?: string } };
    env.data.recording_url = this.opts.links.url(env.data.id);
    return JSON.stringify(env);
  }

  /** Stops taking new work and waits for attempts in flight to be recorded. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    this.queue = [];
    await Promise.allSettled([...this.inflight.values()]);
    this.sender.close();
  }
}
