import type { Kysely } from 'kysely';
import type { RawRows } from '../database.js';
import { Prepared } from '../prepared.js';
import type { DB } from '../schema.js';
import { nowIso } from '../secrets.js';
import type { OutboxRepository, StoredEvent } from './outbox.js';

export const CALL_STATUSES = [
  'queued',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
export type CallDirection = 'inbound' | 'outbound';

/** A stored phone call; `id` is the API's `phone_call_id`. */
export interface CallRecord {
  id: number;
  projectId: number;
  direction: CallDirection;
  from: string | null;
  to: string | null;
  status: CallStatus;
  sipStatus: number | null;
  reason: string | null;
  telephonyRef: string | null;
  cableTokenHash: string | null;
  recordingPath: string | null;
  enableRecording: boolean;
  enableTranscription: boolean;
  enableAnalysis: boolean;
  agentId: number | null;
  applicationId: number | null;
  numberId: number | null;
  createdAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  /** Seconds from answer to end. */
  duration: number | null;
  legs: Record<string, unknown>[];
}

export interface NewCall {
  projectId: number;
  direction: CallDirection;
  from?: string | null;
  to?: string | null;
  status?: CallStatus;
  telephonyRef?: string | null;
  /** SHA-256 hex of the cable token (see `sha256Hex` in src/store/secrets). */
  cableTokenHash?: string | null;
  enableRecording?: boolean;
  enableTranscription?: boolean;
  enableAnalysis?: boolean;
  agentId?: number | null;
  applicationId?: number | null;
  numberId?: number | null;
}

export interface StatusChange {
  status: CallStatus;
  sipStatus?: number | null;
  reason?: string | null;
  /** Defaults to now. */
  at?: string;
  detail?: Record<string, unknown>;
}

export interface CallEvent {
  id: number;
  callId: number;
  status: string;
  at: string;
  detail: Record<string, unknown> | null;
}

export interface CallQuery {
  status?: CallStatus;
  direction?: CallDirection;
  /** Inclusive lower bound on created_at (ISO-8601). */
  from?: string;
  /** Exclusive upper bound on created_at (ISO-8601). */
  to?: string;
  limit?: number;
  offset?: number;
}

type Row = DB['calls'] & { id: number };
const toCall = (r: Row): CallRecord => ({
  id: r.id,
  projectId: r.project_id,
  direction: r.direction as CallDirection,
  from: r.from_number,
  to: r.to_number,
  status: r.status as CallStatus,
  sipStatus: r.sip_status,
  reason: r.reason,
  telephonyRef: r.telephony_ref,
  cableTokenHash: r.cable_token_hash,
  recordingPath: r.recording_path,
  enableRecording: r.enable_recording === 1,
  enableTranscription: r.enable_transcription === 1,
  enableAnalysis: r.enable_analysis === 1,
  agentId: r.agent_id,
  applicationId: r.application_id,
  numberId: r.number_id,
  createdAt: r.created_at,
  answeredAt: r.answered_at,
  endedAt: r.ended_at,
  duration: r.duration,
  legs: JSON.parse(r.legs) as Record<string, unknown>[],
});
/** Every column of `calls`, in the order `fromColumns` reads a raw row. */
const CALL_COLUMNS = [
  'id',
  'project_id',
  'direction',
  'from_number',
  'to_number',
  'status',
  'sip_status',
  'reason',
  'telephony_ref',
  'cable_token_hash',
  'recording_path',
  'enable_recording',
  'enable_transcription',
  'enable_analysis',
  'agent_id',
  'application_id',
  'number_id',
  'created_at',
  'answered_at',
  'ended_at',
  'duration',
  'legs',
] as const satisfies readonly (keyof Row)[];

// A literal of one fixed shape: V8 builds it far faster than a loop assigning by column name.
const fromColumns = (a: unknown[]): CallRecord =>
  toCall({
    id: a[0],
    project_id: a[1],
    direction: a[2],
    from_number: a[3],
    to_number: a[4],
    status: a[5],
    sip_status: a[6],
    reason: a[7],
    telephony_ref: a[8],
    cable_token_hash: a[9],
    recording_path: a[10],
    enable_recording: a[11],
    enable_transcription: a[12],
    enable_analysis: a[13],
    agent_id: a[14],
    application_id: a[15],
    number_id: a[16],
    created_at: a[17],
    answered_at: a[18],
    ended_at: a[19],
    duration: a[20],
    legs: a[21],
  } as Row);
/**
 * The columns a call list shows (`GET /calls`), in the order `listing` returns them: the list is
 * written as JSON straight from these arrays, without a `CallRecord` per row.
 */
export const LISTING_COLUMNS = [
  'id',
  'telephony_ref',
  'status',
  'direction',
  'from_number',
  'to_number',
  'sip_status',
  'reason',
  'created_at',
  'answered_at',
  'ended_at',
  'duration',
  'recording_path',
  'enable_recording',
  'enable_transcription',
  'enable_analysis',
  'legs',
] as const satisfies readonly (keyof Row)[];
/** A page query's values; an unused filter's value is ignored. */
type PageArgs = {
  projectId: number;
  status: string;
  direction: string;
  from: string;
  to: string;
  limit: number;
  offset: number;
};
const FINAL: readonly CallStatus[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

/** The webhook event a transition fires, if any: connect is `started`, every final status its own type. */
export function eventTypeFor(status: CallStatus): string | undefined {
  if (status === 'in-progress') return 'phone_call.started';
  return FINAL.includes(status) ? `phone_call.${status}` : undefined;
}

/** Where a call's recording is served; the dispatcher turns it into a signed, expiring absolute URL. */
export const recordingPathFor = (callId: number): string => `/recordings/${callId}.wav`;

/**
 * The seed's `data` for phone_call.* events. `cost` is 0 (no rates yet); transcription and analysis
 * arrive with their issues.
 */
function callEventData(r: Row, relayNumber: string | null): Record<string, unknown> {
  return {
    id: r.id,
    status: r.status,
    duration: r.duration ?? 0,
    cost: 0,
    direction: r.direction,
    from: r.from_number,
    to: r.to_number,
    relay_number: relayNumber,
    recording_url: r.recording_path ? recordingPathFor(r.id) : null,
    transcription: null,
    analysis: null,
  };
}
const flag = (b: boolean | undefined): number => (b ? 1 : 0);

export class CallRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly outbox: OutboxRepository,
    /** Where the driver can, list pages are read as arrays (see `Database.rawRows`). */
    private readonly rawRows?: RawRows,
  ) {}

  private readonly pages = new Map<number, Prepared<PageArgs, unknown>>();

  /** Enqueues `type` for the call as it now stands (plus `extra` fields), on `trx`. */
  private async enqueueCallEvent(
    trx: Kysely<DB>,
    id: number,
    type: string,
    extra: Record<string, unknown> = {},
  ): Promise<StoredEvent> {
    const r = (await trx.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as Row;
    const num =
      r.number_id === null || r.direction !== 'inbound'
        ? undefined
        : await trx
            .selectFrom('numbers')
            .select(['e164', 'target_kind', 'forward_to'])
            .where('id', '=', r.number_id)
            .executeTakeFirst();
    // As routing reads the number: forwarded when its target is a forward, or when it has only a
    // `forward_to` (a relay bought through the API); an agent's DID with a forward_to set is no relay.
    // Relays forward inbound calls only: an API call showing the number as caller ID is not one.
    const relay =
      num && (num.target_kind === 'forward' || (num.target_kind === null && num.forward_to !== null)) ? num.e164 : null;
    return this.outbox.enqueueIn(trx, {
      projectId: r.project_id,
      type,
      callId: id,
      data: { ...callEventData(r, relay), ...extra },
    });
  }

  async insert(c: NewCall): Promise<CallRecord> {
    const at = nowIso();
    const status = c.status ?? 'queued';
    const r = await this.db
      .insertInto('calls')
      .values({
        project_id: c.projectId,
        direction: c.direction,
        from_number: c.from ?? null,
        to_number: c.to ?? null,
        status,
        telephony_ref: c.telephonyRef ?? null,
        cable_token_hash: c.cableTokenHash ?? null,
        enable_recording: flag(c.enableRecording),
        enable_transcription: flag(c.enableTranscription),
        enable_analysis: flag(c.enableAnalysis),
        agent_id: c.agentId ?? null,
        application_id: c.applicationId ?? null,
        number_id: c.numberId ?? null,
        created_at: at,
        legs: '[]',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.db.insertInto('call_events').values({ call_id: r.id, status, at, detail: null }).execute();
    return toCall(r as Row);
  }

  /**
   * Records a transition and its event. `in-progress` stamps answered_at; a final status stamps
   * ended_at and the duration since answer. A call already final is left as it is (returns false).
   * In the same transaction the matching event (`eventTypeFor`) goes into the outbox.
   */
  async updateStatus(id: number, ch: StatusChange): Promise<boolean> {
    const at = ch.at ?? nowIso();
    let fired: StoredEvent | undefined;
    const changed = await this.db.transaction().execute(async (trx) => {
      const cur = await trx.selectFrom('calls').select(['status', 'answered_at']).where('id', '=', id).executeTakeFirst();
      if (!cur || FINAL.includes(cur.status as CallStatus)) return false;
      // A repeated status (ringing twice) is no transition worth a second event.
      const repeated = cur.status === ch.status;
      const set: Partial<Omit<DB['calls'], 'id'>> = { status: ch.status };
      if (ch.sipStatus !== undefined) set.sip_status = ch.sipStatus;
      if (ch.reason !== undefined) set.reason = ch.reason;
      if (ch.status === 'in-progress' && !cur.answered_at) set.answered_at = at;
      if (FINAL.includes(ch.status)) {
        set.ended_at = at;
        set.duration = cur.answered_at ? Math.max(0, Math.round((Date.parse(at) - Date.parse(cur.answered_at)) / 1000)) : 0;
      }
      await trx.updateTable('calls').set(set).where('id', '=', id).execute();
      await trx
        .insertInto('call_events')
        .values({ call_id: id, status: ch.status, at, detail: ch.detail ? JSON.stringify(ch.detail) : null })
        .execute();
      const type = repeated ? undefined : eventTypeFor(ch.status);
      if (type) fired = await this.enqueueCallEvent(trx, id, type);
      return true;
    });
    if (fired) this.outbox.announce([fired]);
    return changed;
  }

  async setTelephonyRef(id: number, ref: string): Promise<void> {
    await this.db.updateTable('calls').set({ telephony_ref: ref }).where('id', '=', id).execute();
  }

  /**
   * Stores the final recording's path. On a completed call `phone_call.completed` fires again, now
   * with `recording_url`, in the same transaction; a recording set before the call ends rides on
   * its completed event instead.
   */
  async setRecording(id: number, path: string): Promise<void> {
    let fired: StoredEvent | undefined;
    await this.db.transaction().execute(async (trx) => {
      const cur = await trx.selectFrom('calls').select(['status', 'recording_path']).where('id', '=', id).executeTakeFirst();
      if (!cur || cur.recording_path === path) return;
      await trx.updateTable('calls').set({ recording_path: path }).where('id', '=', id).execute();
      if (cur.status === 'completed') fired = await this.enqueueCallEvent(trx, id, 'phone_call.completed');
    });
    if (fired) this.outbox.announce([fired]);
  }

  /**
   * An application event a party sent in the live call (SIP INFO, e.g. a web visitor's
   * `sendInfo`): `phone_call.info` with the call's fields and `info: {event, data, sender}`.
   * Nothing of the call changes; the event is stored and delivered like the others, in order.
   */
  async addInfo(id: number, info: { event: string; data: unknown; sender: string }): Promise<void> {
    const fired = await this.db.transaction().execute(async (trx) => {
      const exists = await trx.selectFrom('calls').select('id').where('id', '=', id).executeTakeFirst();
      return exists ? this.enqueueCallEvent(trx, id, 'phone_call.info', { info }) : undefined;
    });
    if (fired) this.outbox.announce([fired]);
  }

  /** Stored as JSON.stringify writes it: the call list (`listing`) splices the text into its answer as is. */
  async setLegs(id: number, legs: Record<string, unknown>[]): Promise<void> {
    await this.db
      .updateTable('calls')
      .set({ legs: JSON.stringify(legs) })
      .where('id', '=', id)
      .execute();
  }

  /** Any project's call: callers compare `projectId` to answer 403 for a foreign id. */
  async get(id: number): Promise<CallRecord | undefined> {
    const r = await this.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toCall(r as Row);
  }

  async findByTelephonyRef(ref: string): Promise<CallRecord | undefined> {
    const r = await this.db.selectFrom('calls').selectAll().where('telephony_ref', '=', ref).executeTakeFirst();
    return r && toCall(r as Row);
  }

  /** A project's calls, newest first, with the total matching count for pagination. */
  async list(projectId: number, q: CallQuery = {}): Promise<{ calls: CallRecord[]; total: number }> {
    let base = this.db.selectFrom('calls').where('project_id', '=', projectId);
    if (q.status) base = base.where('status', '=', q.status);
    if (q.direction) base = base.where('direction', '=', q.direction);
    if (q.from) base = base.where('created_at', '>=', q.from);
    if (q.to) base = base.where('created_at', '<', q.to);
    const rows = await base
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(q.limit ?? 50, 500))
      .offset(q.offset ?? 0)
      .execute();
    const count = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    return { calls: rows.map((r) => toCall(r as Row)), total: Number(count?.n ?? 0) };
  }

  /**
   * A page of a project's calls, newest first, without counting them all: one row more than asked
   * says whether another page follows (a COUNT over a large history costs more than the page).
   */
  async page(projectId: number, q: CallQuery = {}): Promise<{ calls: CallRecord[]; hasMore: boolean }> {
    const { limit, args } = pageArgs(projectId, q);
    const query = this.pageQuery(q, CALL_COLUMNS).bind(args);
    const calls = this.rawRows
      ? (await this.rawRows(query)).map(fromColumns)
      : (await this.db.executeQuery(query)).rows.map((r) => toCall(r as Row));
    return { calls: calls.slice(0, limit), hasMore: calls.length > limit };
  }

  /**
   * `page`, as rows of `LISTING_COLUMNS` (arrays, in that order; flags 0/1, `legs` the stored JSON
   * text): what the calls list shows, read without building an object per row or per value it
   * does not show.
   */
  async listing(projectId: number, q: CallQuery = {}): Promise<{ rows: unknown[][]; hasMore: boolean }> {
    const { limit, args } = pageArgs(projectId, q);
    const query = this.pageQuery(q, LISTING_COLUMNS).bind(args);
    const rows = this.rawRows
      ? await this.rawRows(query)
      : (await this.db.executeQuery(query)).rows.map((r) => LISTING_COLUMNS.map((c) => (r as Row)[c]));
    const hasMore = rows.length > limit;
    if (hasMore) rows.length = limit;
    return { rows, hasMore };
  }

  /**
   * One prepared page query per combination of filters, column list and first page or not. Past
   * the first page the rows skipped are found in the index alone (a deferred join): an OFFSET over
   * whole rows reads every skipped row from the table, 1,000 of them for page 20.
   */
  private pageQuery(q: CallQuery, columns: readonly (keyof Row & string)[]): Prepared<PageArgs, unknown> {
    const later = (q.offset ?? 0) > 0;
    const shape =
      (q.status ? 1 : 0) |
      (q.direction ? 2 : 0) |
      (q.from ? 4 : 0) |
      (q.to ? 8 : 0) |
      (columns === LISTING_COLUMNS ? 16 : 0) |
      (later ? 32 : 0);
    let p = this.pages.get(shape);
    if (!p) {
      const names: (keyof PageArgs & string)[] = ['projectId', 'limit', 'offset'];
      if (q.status) names.push('status');
      if (q.direction) names.push('direction');
      if (q.from) names.push('from');
      if (q.to) names.push('to');
      p = new Prepared<PageArgs, unknown>(
        this.db,
        (a) => {
          let base = this.db.selectFrom('calls').where('project_id', '=', a.projectId);
          if (q.status) base = base.where('status', '=', a.status);
          if (q.direction) base = base.where('direction', '=', a.direction);
          if (q.from) base = base.where('created_at', '>=', a.from);
          if (q.to) base = base.where('created_at', '<', a.to);
          if (!later)
            return base.select(columns).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(a.limit).offset(a.offset);
          // The page's ids come from the project's own index entries: the outer read sees no other project's row.
          const ids = base.select('id').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(a.limit).offset(a.offset);
          return this.db
            .selectFrom('calls')
            .select(columns)
            .where('id', 'in', ids)
            .orderBy('created_at', 'desc')
            .orderBy('id', 'desc');
        },
        names,
      );
      this.pages.set(shape, p);
    }
    return p;
  }

  async events(callId: number): Promise<CallEvent[]> {
    const rows = await this.db.selectFrom('call_events').selectAll().where('call_id', '=', callId).orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id,
      callId: r.call_id,
      status: r.status,
      at: r.at,
      detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    }));
  }
}

/** A page's bound values: one row more than the page says whether another follows. */
function pageArgs(projectId: number, q: CallQuery): { limit: number; args: PageArgs } {
  const limit = Math.min(q.limit ?? 50, 500);
  return {
    limit,
    args: {
      projectId,
      status: q.status ?? '',
      direction: q.direction ?? '',
      from: q.from ?? '',
      to: q.to ?? '',
      limit: limit + 1,
      offset: q.offset ?? 0,
    },
  };
}
