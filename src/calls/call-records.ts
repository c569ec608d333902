import type { Logger } from 'pino';
import type { Call, CallStatusEvent } from './call.js';
import type { CallRegistry } from './call-registry.js';
import type { Store } from '../store/index.js';

export interface CallRecordsOptions {
  store: Pick<Store, 'calls' | 'numbers' | 'agents' | 'projects' | 'callbackFailures'>;
  registry: CallRegistry;
  logger: Logger;
}

/** What a leg looks like in the stored record (`legs` JSON). */
interface LegSnapshot {
  role: string;
  sipCallId: string;
  endpoint: string;
  ended: boolean;
}

/**
 * The call-record (CDR) writer: every call the registry announces gets a stored record, and every
 * status transition, leg change and recording path of that call is written through the store.
 * API calls arrive with `call.recordId` set, or with `call.pendingRecordId` (a phone bridge's row is
 * inserted once its INVITE left: what the call does until then is written behind it); phone and
 * trunk calls get their row inserted here.
 *
 * Writes are asynchronous and kept in order per call (one promise chain each); a failed write is
 * logged, never thrown into the call layer. Status changes go through `store.calls.updateStatus`
 * only, so whatever hangs off it (call events, webhooks) sees every transition.
 */
export class CallRecords {
  /** Live calls by record id, for the API's hangup and monitor. */
  private readonly live = new Map<number, Call>();
  private readonly chains = new Map<Call, Promise<void>>();
  private readonly onAdded = (call: Call): void => this.track(call);

  constructor(private readonly opts: CallRecordsOptions) {
    opts.registry.on('added', this.onAdded);
  }

  /** The live call behind a stored record, if it is still up on this node. */
  liveCall(recordId: number): Call | undefined {
    return this.live.get(recordId);
  }

  /** Resolves once every write queued so far for `call` is done (tests, shutdown). */
  async flushed(call?: Call): Promise<void> {
    if (call) {
      await this.chains.get(call);
      return;
    }
    await Promise.allSettled([...this.chains.values()]);
  }

  close(): void {
    this.opts.registry.off('added', this.onAdded);
  }

  private track(call: Call): void {
    // Subscribe now, synchronously: transitions emitted while the row is being inserted still queue behind it.
    const seen = call.status;
    this.enqueue(call, () => this.ensureRecord(call, seen));
    const onStatus = (e: CallStatusEvent): void => {
      // Stamped now: durations must not depend on how long the write waited in the queue.
      const at = new Date().toISOString();
      this.enqueue(call, () => this.writeStatus(call, e, at));
    };
    const onLegs = (): void => this.enqueue(call, () => this.writeLegs(call));
    const onRecording = ({ path }: { path: string }): void =>
      this.enqueue(call, async () => {
        if (call.recordId !== undefined) await this.opts.store.calls.setRecording(call.recordId, path);
      });
    // Kept after `ended`: the final callback fails, if it does, once the call is over.
    call.on('callback-failed', (failure) =>
      this.enqueue(call, async () => {
        if (call.recordId !== undefined) await this.opts.store.callbackFailures.add(call.recordId, failure);
      }),
    );
    const onInfo = ({ event, data, role }: { event: string; data: unknown; role: string }): void =>
      this.enqueue(call, async () => {
        if (call.recordId !== undefined) await this.opts.store.calls.addInfo(call.recordId, { event, data, sender: role });
      });
    call.on('status', onStatus);
    call.on('info', onInfo);
    call.on('leg-added', onLegs);
    call.on('leg-removed', onLegs);
    // The recording is final only after the recorder closed the file, which may be after `ended`.
    call.once('recording', onRecording);
    call.once('ended', () => {
      call.off('status', onStatus);
      call.off('info', onInfo);
      call.off('leg-added', onLegs);
      call.off('leg-removed', onLegs);
      this.enqueue(call, () => this.writeLegs(call));
      void this.chains.get(call)?.then(() => {
        if (call.recordId !== undefined && this.live.get(call.recordId) === call) this.live.delete(call.recordId);
      });
    });
  }

  private enqueue(call: Call, write: () => Promise<void>): void {
    const prev = this.chains.get(call) ?? Promise.resolve();
    const next = prev
      .then(write)
      .catch((err: unknown) => call.logger.error({ err, recordId: call.recordId }, 'call record write failed'));
    this.chains.set(call, next);
    // A settled chain orders nothing: dropped, so that no ended call stays referenced here, whether
    // its last write was the final status or the recording that came after `ended`.
    void next.then(() => {
      if (this.chains.get(call) === next) this.chains.delete(call);
    });
  }

  private async ensureRecord(call: Call, seen: Call['status']): Promise<void> {
    if (call.recordId === undefined && call.pendingRecordId) {
      // The API inserts the row after the INVITE left; what happened meanwhile waits behind this.
      call.recordId = await call.pendingRecordId;
      // The insert failed: the call is being ended and has no row to write to.
      if (call.recordId === undefined) return;
    }
    if (call.recordId === undefined) {
      const did = call.number;
      const projectId = did?.projectId ?? (await this.projectOf(call));
      if (projectId === undefined) {
        call.logger.warn('no project to record the call under (no projects yet)');
        return;
      }
      const numberId = did ? ((await this.opts.store.numbers.findByE164(did.e164))?.id ?? null) : null;
      // A relay call goes from the caller to the number it forwards to (the seed's `to`), by way of
      // the relay number (its `relay_number`, found through `numberId`); relays are always recorded.
      const rec = await this.opts.store.calls.insert({
        projectId,
        direction: call.direction,
        from: call.from,
        to: did?.forwardTo ?? call.to,
        numberId,
        enableRecording: did?.forwardTo !== undefined,
      });
      call.recordId = rec.id;
    }
    this.live.set(call.recordId, call);
    // A transition made before the registry announced the call; later ones are queued behind this write.
    if (seen !== 'queued') await this.writeStatus(call, { status: seen, previous: 'queued' });
  }

  /**
   * Whose call is it: the owner of the dialed number, else the project of the agent calling or
   * called, else the first (default) project, so that no call on this box goes unrecorded.
   */
  private async projectOf(call: Call): Promise<number | undefined> {
    const { numbers, agents, projects } = this.opts.store;
    for (const n of candidatesE164(call.to)) {
      const owned = await numbers.findByE164(n);
      if (owned?.projectId != null) return owned.projectId;
    }
    for (const user of [call.from, call.to]) {
      if (!user) continue;
      const agent = await agents.findByUsername(user);
      if (agent) return agent.projectId;
    }
    return (await projects.first())?.id;
  }

  private async writeStatus(call: Call, e: CallStatusEvent, at?: string): Promise<void> {
    if (call.recordId === undefined) return;
    await this.opts.store.calls.updateStatus(call.recordId, {
      status: e.status,
      ...(at ? { at } : {}),
      ...(e.sipStatus !== undefined ? { sipStatus: e.sipStatus } : {}),
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
      detail: { previous: e.previous, ...(e.sipStatus !== undefined ? { sipStatus: e.sipStatus } : {}) },
    });
  }

  private async writeLegs(call: Call): Promise<void> {
    if (call.recordId === undefined) return;
    const legs: LegSnapshot[] = call.legs.map((l) => ({
      role: l.role,
      sipCallId: l.dialog.callId,
      endpoint: l.endpoint.kind,
      ended: l.ended,
    }));
    await this.opts.store.calls.setLegs(call.recordId, legs as unknown as Record<string, unknown>[]);
  }
}

/** The dialed user as stored numbers spell it: as dialed, and with a leading `+`. */
function candidatesE164(dialed: string): string[] {
  if (!/^\+?[0-9]{3,15}$/.test(dialed)) return [];
  return dialed.startsWith('+') ? [dialed] : [`+${dialed}`, dialed];
}
