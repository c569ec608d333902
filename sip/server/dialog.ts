/**
 * Dialog state the server keeps on behalf of applications (RFC 3261 §12) and the store that finds
 * dialogs by drachtio dialog id (`Call-ID;from-tag=...`, docs/drachtio-protocol.md §4.2) or by the tags of a
 * request arriving from the network.
 */
import type { SipRequest } from './message.js';
import type { SendTargetLike } from './transaction/timers.js';

export type DialogRole = 'uas' | 'uac';

export interface DialogInit {
  id: string;
  role: DialogRole;
  callId: string;
  localTag: string;
  remoteTag: string;
  /** From value for requests we send (with our tag). */
  localHeader: string;
  /** To value for requests we send (with the peer's tag). */
  remoteHeader: string;
  remoteTarget: string;
  routeSet: string[];
  localSeq: number;
  remoteSeq: number;
  inviteSeq: number;
  ownerId: string;
  /** Set when the peer reached us over a connection we should reuse. */
  fixedTarget?: SendTargetLike;
}

export class Dialog implements DialogInit {
  id!: string;
  role!: DialogRole;
  callId!: string;
  localTag!: string;
  remoteTag!: string;
  localHeader!: string;
  remoteHeader!: string;
  remoteTarget!: string;
  routeSet!: string[];
  localSeq!: number;
  remoteSeq!: number;
  inviteSeq!: number;
  ownerId!: string;
  fixedTarget?: SendTargetLike;
  /** The ACK the app last sent for a 2xx, re-sent when the 2xx is retransmitted. */
  lastAck?: SipRequest;
  lastAckTarget?: SendTargetLike;

  constructor(init: DialogInit) {
    Object.assign(this, init);
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }

  nextSeq(): number {
    this.localSeq += 1;
    return this.localSeq;
  }
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\n${localTag}\n${remoteTag}`;
}

export function makeDialogId(callId: string, fromTag: string): string {
  return `${callId};from-tag=${fromTag}`;
}

export class DialogStore {
  private readonly byId = new Map<string, Dialog>();
  private readonly byKey = new Map<string, Dialog>();

  add(d: Dialog): void {
    this.byId.set(d.id, d);
    this.byKey.set(d.key, d);
  }

  get(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  /** Match a request from the network: its To-tag is our tag, its From-tag the peer's. */
  match(callId: string, toTag: string | undefined, fromTag: string | undefined): Dialog | undefined {
    if (!toTag) return undefined;
    return this.byKey.get(dialogKey(callId, toTag, fromTag ?? ''));
  }

  delete(d: Dialog): void {
    if (this.byId.get(d.id) === d) this.byId.delete(d.id);
    if (this.byKey.get(d.key) === d) this.byKey.delete(d.key);
  }

  get size(): number {
    return this.byId.size;
  }

  all(): Dialog[] {
    return [...this.byId.values()];
  }

  clear(): void {
    this.byId.clear();
    this.byKey.clear();
  }
}
