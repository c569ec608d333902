import type { Kysely, Selectable } from 'kysely';
import type { DB, NumbersTable } from '../schema.js';
import { nowIso } from '../secrets.js';
import type { CallbackFormat, CallbackMethod } from './applications.js';

export type NumberTarget =
  | { kind: 'agent'; agentId: number }
  | { kind: 'application'; applicationId: number }
  | { kind: 'forward'; forwardTo: string };

/** An E.164 number from a trunk's inventory, owned by at most one project. */
export interface PhoneNumber {
  id: number;
  e164: string;
  trunk: string | null;
  country: string | null;
  type: string | null;
  areaCode: string | null;
  projectId: number | null;
  target: NumberTarget | null;
  forwardTo: string | null;
  relayEnabled: boolean;
  createdAt: string;
}

export interface InventoryEntry {
  number: string;
  trunk: string;
  country?: string;
  type?: string;
  areaCode?: string;
}

/**
 * A number's own call-flow callback configuration. `inherit` (the default for a number never
 * configured): its application's configuration applies and the other fields are kept but unused.
 */
export interface NumberCallbackConfig {
  inherit: boolean;
  callbackUrl: string | null;
  callbackMethod: CallbackMethod;
  callbackFormat: CallbackFormat;
  fallbackUrl: string | null;
  statusCallbackUrl: string | null;
  /** Null until first configured. */
  updatedAt: string | null;
}

/** What an owner sets; `undefined` leaves a field as it is, `null` clears a URL. */
export type NumberCallbackFields = Partial<Omit<NumberCallbackConfig, 'updatedAt'>>;

const INHERITED: NumberCallbackConfig = {
  inherit: true,
  callbackUrl: null,
  callbackMethod: 'POST',
  callbackFormat: 'json',
  fallbackUrl: null,
  statusCallbackUrl: null,
  updatedAt: null,
};

type Row = Selectable<NumbersTable>;

function targetOf(r: Row): NumberTarget | null {
  if (r.target_kind === 'agent' && r.agent_id !== null) return { kind: 'agent', agentId: r.agent_id };
  if (r.target_kind === 'application' && r.application_id !== null)
    return { kind: 'application', applicationId: r.application_id };
  if (r.target_kind === 'forward' && r.forward_to !== null) return { kind: 'forward', forwardTo: r.forward_to };
  return null;
}

const toNumber = (r: Row): PhoneNumber => ({
  id: r.id,
  e164: r.e164,
  trunk: r.trunk,
  country: r.country,
  type: r.type,
  areaCode: r.area_code,
  projectId: r.project_id,
  target: targetOf(r),
  forwardTo: r.forward_to,
  relayEnabled: r.relay_enabled === 1,
  createdAt: r.created_at,
});

function targetColumns(t: NumberTarget | null): {
  target_kind: string | null;
  agent_id: number | null;
  application_id: number | null;
  forward_to?: string | null;
} {
  if (!t) return { target_kind: null, agent_id: null, application_id: null };
  if (t.kind === 'agent') return { target_kind: 'agent', agent_id: t.agentId, application_id: null };
  if (t.kind === 'application') return { target_kind: 'application', agent_id: null, application_id: t.applicationId };
  return { target_kind: 'forward', agent_id: null, application_id: null, forward_to: t.forwardTo };
}

export class NumberRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * The operator's inventory from config: missing numbers are inserted unowned, known ones get
   * their trunk/country/type/area code refreshed. Ownership and routing are never touched.
   * Returns how many were inserted.
   */
  async syncInventory(entries: readonly InventoryEntry[]): Promise<number> {
    let inserted = 0;
    for (const e of entries) {
      const meta = {
        trunk: e.trunk,
        country: e.country?.toUpperCase() ?? null,
        type: e.type ?? null,
        area_code: e.areaCode ?? null,
      };
      const known = await this.db.selectFrom('numbers').select(['id']).where('e164', '=', e.number).executeTakeFirst();
      if (known) {
        await this.db.updateTable('numbers').set(meta).where('id', '=', known.id).execute();
      } else {
        await this.db
          .insertInto('numbers')
          .values({ e164: e.number, ...meta, relay_enabled: 0, created_at: nowIso() })
          .onConflict((oc) => oc.column('e164').doUpdateSet(meta))
          .execute();
        inserted++;
      }
    }
    return inserted;
  }

  /** Adds a number (unless known) and gives it to `projectId`; refuses a number another project owns. */
  async assign(projectId: number, e164: string, target: NumberTarget | null = null): Promise<PhoneNumber> {
    const existing = await this.findByE164(e164);
    if (existing && existing.projectId !== null && existing.projectId !== projectId)
      throw new Error(`${e164} belongs to another project`);
    if (!existing) {
      await this.db
        .insertInto('numbers')
        .values({ e164, project_id: projectId, relay_enabled: 0, created_at: nowIso() })
        .onConflict((oc) => oc.column('e164').doNothing())
        .execute();
    }
    const claimed = await this.db
      .updateTable('numbers')
      .set({ project_id: projectId, ...targetColumns(target), relay_enabled: target?.kind === 'forward' ? 1 : 0 })
      .where('e164', '=', e164)
      .where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) throw new Error(`${e164} belongs to another project`);
    return (await this.findByE164(e164))!;
  }

  async setTarget(id: number, target: NumberTarget | null): Promise<void> {
    await this.db.updateTable('numbers').set(targetColumns(target)).where('id', '=', id).execute();
  }

  async setRelay(id: number, r: { forwardTo?: string | null; relayEnabled?: boolean }): Promise<void> {
    const set: { forward_to?: string | null; relay_enabled?: number } = {};
    if (r.forwardTo !== undefined) set.forward_to = r.forwardTo;
    if (r.relayEnabled !== undefined) set.relay_enabled = r.relayEnabled ? 1 : 0;
    if (Object.keys(set).length) await this.db.updateTable('numbers').set(set).where('id', '=', id).execute();
  }

  async callbackConfig(numberId: number): Promise<NumberCallbackConfig> {
    const r = await this.db.selectFrom('number_callbacks').selectAll().where('number_id', '=', numberId).executeTakeFirst();
    if (!r) return { ...INHERITED };
    return {
      inherit: r.inherit === 1,
      callbackUrl: r.callback_url,
      callbackMethod: r.callback_method === 'GET' ? 'GET' : 'POST',
      callbackFormat: r.callback_format === 'form' || r.callback_format === 'query' ? r.callback_format : 'json',
      fallbackUrl: r.fallback_url,
      statusCallbackUrl: r.status_callback_url,
      updatedAt: r.updated_at,
    };
  }

  /** Merges `f` into the number's configuration (created on first use) and returns the result. */
  async setCallbackConfig(numberId: number, f: NumberCallbackFields): Promise<NumberCallbackConfig> {
    const merged = { ...(await this.callbackConfig(numberId)), ...stripUndefined(f) };
    const row = {
      inherit: merged.inherit ? 1 : 0,
      callback_url: merged.callbackUrl,
      callback_method: merged.callbackMethod,
      callback_format: merged.callbackFormat,
      fallback_url: merged.fallbackUrl,
      status_callback_url: merged.statusCallbackUrl,
      updated_at: nowIso(),
    };
    await this.db
      .insertInto('number_callbacks')
      .values({ number_id: numberId, ...row })
      .onConflict((oc) => oc.column('number_id').doUpdateSet(row))
      .execute();
    return this.callbackConfig(numberId);
  }

  /** Gives a number back to the inventory (its own callback configuration goes with its owner). */
  async release(id: number): Promise<void> {
    await this.db.deleteFrom('number_callbacks').where('number_id', '=', id).execute();
    await this.db
      .updateTable('numbers')
      .set({ project_id: null, ...targetColumns(null), forward_to: null, relay_enabled: 0 })
      .where('id', '=', id)
      .execute();
  }

  /** Any project's number: callers compare `projectId` to answer 403 for a foreign id. */
  async get(id: number): Promise<PhoneNumber | undefined> {
    const r = await this.db.selectFrom('numbers').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toNumber(r);
  }

  async findByE164(e164: string): Promise<PhoneNumber | undefined> {
    const r = await this.db.selectFrom('numbers').selectAll().where('e164', '=', e164).executeTakeFirst();
    return r && toNumber(r);
  }

  async list(projectId: number): Promise<PhoneNumber[]> {
    return (await this.db.selectFrom('numbers').selectAll().where('project_id', '=', projectId).orderBy('id').execute()).map(
      toNumber,
    );
  }

  /** Unowned inventory, filtered as the relay `available` search will need. */
  async available(
    f: { country?: string; type?: string; areaCode?: string; contains?: string; limit?: number } = {},
  ): Promise<PhoneNumber[]> {
    let q = this.db.selectFrom('numbers').selectAll().where('project_id', 'is', null);
    if (f.country) q = q.where('country', '=', f.country.toUpperCase());
    if (f.type) q = q.where('type', '=', f.type);
    if (f.areaCode) q = q.where('area_code', '=', f.areaCode);
    if (f.contains) q = q.where('e164', 'like', `%${f.contains.replace(/[%_\\]/g, '')}%`);
    return (
      await q
        .orderBy('e164')
        .limit(f.limit ?? 50)
        .execute()
    ).map(toNumber);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
