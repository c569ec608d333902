import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { newSecret, nowIso } from '../secrets.js';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A subscriber URL of a project; `events` `['*']` receives every event type. */
export interface Webhook {
  id: number;
  projectId: number;
  name: string | null;
  url: string;
  events: string[];
  secret: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookChange {
  url?: string;
  name?: string | null;
  events?: string[];
  active?: boolean;
}

/** One attempt to deliver an event, as the delivery log shows it. */
export interface DeliveryAttempt {
  id: number;
  webhookId: number;
  eventId: string;
  type: string;
  attempt: number;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  at: string;
}

type Row = DB['webhooks'] & { id: number };
const toWebhook = (r: Row): Webhook => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  secret: r.secret,
  active: r.active === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Does a subscription list take this event type? Empty or `*` takes all; otherwise exact types. */
export function subscribes(events: readonly string[], type: string): boolean {
  return events.length === 0 || events.includes('*') || events.includes(type);
}

export class WebhookRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** The secret is generated here and returned in the record (the API shows it once). */
  async create(projectId: number, w: { url: string; name?: string | null; events?: string[] }): Promise<Webhook> {
    const at = nowIso();
    const r = await this.db
      .insertInto('webhooks')
      .values({
        project_id: projectId,
        url: w.url,
        name: w.name ?? null,
        events: JSON.stringify(w.events?.length ? w.events : ['*']),
        secret: newSecret(WEBHOOK_SECRET_PREFIX),
        active: 1,
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toWebhook(r as Row);
  }

  /** Any project's webhook: callers compare `projectId` to answer 403 for a foreign id. */
  async get(id: number): Promise<Webhook | undefined> {
    const r = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toWebhook(r as Row);
  }

  async list(projectId: number): Promise<Webhook[]> {
    return (await this.db.selectFrom('webhooks').selectAll().where('project_id', '=', projectId).orderBy('id').execute()).map(
      (r) => toWebhook(r as Row),
    );
  }

  async update(id: number, ch: WebhookChange): Promise<Webhook | undefined> {
    const set: Partial<Omit<DB['webhooks'], 'id'>> = { updated_at: nowIso() };
    if (ch.url !== undefined) set.url = ch.url;
    if (ch.name !== undefined) set.name = ch.name;
    if (ch.events !== undefined) set.events = JSON.stringify(ch.events.length ? ch.events : ['*']);
    if (ch.active !== undefined) set.active = ch.active ? 1 : 0;
    await this.db.updateTable('webhooks').set(set).where('id', '=', id).execute();
    return this.get(id);
  }

  /** Deletes the webhook with its pending deliveries and its log. */
  async delete(id: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhook_attempts').where('webhook_id', '=', id).execute();
      await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
      await trx.deleteFrom('webhooks').where('id', '=', id).execute();
    });
  }

  /** The last `limit` attempts, newest first. */
  async attempts(webhookId: number, limit = 50): Promise<DeliveryAttempt[]> {
    const rows = await this.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('webhook_id', '=', webhookId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhook_id,
      eventId: r.event_id,
      type: r.type,
      attempt: r.attempt,
      statusCode: r.status_code,
      durationMs: r.duration_ms,
      error: r.error,
      at: r.at,
    }));
  }
}
