/**
 * Shared state of the drachtio core: transactions by key and by drachtio id, dialogs, applications,
 * our own addresses (for Via/Contact), and resolution of request targets.
 */
import { pino, type Logger } from 'pino';
import type { TransportAddress } from '../message.js';
import { DialogStore, type Dialog } from '../dialog.js';
import type { ServerTransaction } from '../transaction/server-transaction.js';
import type { ClientTransaction } from '../transaction/client-transaction.js';
import type { MessageSender, SendTargetLike, SipTimers } from '../transaction/timers.js';
import { uriTarget } from '../transaction/keys.js';
import { SipResolver, type SipTransportName } from '../resolver.js';
import { AppRegistry } from './app-registry.js';
import type { ProxyOperation } from '../proxy.js';
import { EarlyInvites } from './early-update.js';
import { SourceLoad } from './source-load.js';

export interface InboundInfo {
  remote: TransportAddress;
  local: TransportAddress;
  connectionId?: string;
  bytes: number;
}

export interface SipTransport extends MessageSender {
  listening(): TransportAddress[];
}

export interface ServerTxnRecord {
  txn: ServerTransaction;
  appId?: string;
  info: InboundInfo;
  dialogId: string;
  /** Dialog the request arrived in (in-dialog requests). */
  dialog?: Dialog;
  initialInvite: boolean;
  proxy?: ProxyOperation;
  /** Deliveries to the app held while a response of the app is on its way out (until its echo). */
  held?: (() => void)[] | null;
}

/** Run `fn` now, or after the record's held deliveries are released. */
export function afterEcho(rec: { held?: (() => void)[] | null }, fn: () => void): void {
  if (rec.held) rec.held.push(fn);
  else fn();
}

export interface ClientTxnRecord {
  txn: ClientTransaction;
  appId?: string;
  dialogId: string;
  initialInvite: boolean;
  canceled: boolean;
  /** Consumed by the server itself (CANCEL, ACK-timeout BYE): responses are not forwarded. */
  internal?: (status: number) => void;
  proxy?: ProxyOperation;
  /** How the latest response arrived, for the `sip|network` leader. */
  lastInfo?: InboundInfo;
  /** Events held until the app has its echo (and so the transaction id); null once released. */
  held?: (() => void)[] | null;
}

export class ServerContext {
  readonly apps = new AppRegistry();
  readonly dialogs = new DialogStore();
  readonly serverByKey = new Map<string, ServerTxnRecord>();
  readonly serverById = new Map<string, ServerTxnRecord>();
  readonly clientByKey = new Map<string, ClientTxnRecord>();
  readonly clientById = new Map<string, ClientTxnRecord>();
  /** Dialog ids of INVITEs the app sent that ended non-2xx, so its ACK gets the right NOK text. */
  readonly rejectedDialogs = new Map<string, NodeJS.Timeout>();
  /** INVITE server transactions whose 2xx awaits the ACK, by dialog id. */
  readonly pendingAck = new Map<string, ServerTxnRecord>();
  /** INVITEs (both directions) without a final response yet: their early dialogs, for UPDATE. */
  readonly earlyInvites = new EarlyInvites();
  readonly logger: Logger;

  constructor(
    readonly transport: SipTransport,
    readonly timers: SipTimers,
    readonly externalAddress?: string,
    logger?: Logger,
    private readonly resolver: SipResolver = new SipResolver(),
    /** Per-source shedding; the default never sheds. */
    readonly load: SourceLoad = new SourceLoad(0),
  ) {
    this.logger = logger ?? pino({ level: 'silent' });
  }

  /** Our listening address for a transport (first match; UDP as the fallback). */
  local(transport: TransportAddress['transport'] = 'udp'): TransportAddress {
    const all = this.transport.listening();
    return (
      all.find((a) => a.transport === transport) ??
      all.find((a) => a.transport === 'udp') ??
      all[0] ?? { transport, host: '127.0.0.1', port: 5060 }
    );
  }

  advertisedHost(transport: TransportAddress['transport']): string {
    return this.externalAddress ?? this.local(transport).host;
  }

  hostport(transport: TransportAddress['transport'] = 'udp'): string {
    const l = this.local(transport);
    const host = this.advertisedHost(transport);
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `${h}:${l.port}`;
  }

  viaSentBy(transport: TransportAddress['transport']): string {
    const l = this.local(transport);
    const host = this.advertisedHost(transport);
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return l.port === 5060 && (transport === 'udp' || transport === 'tcp') ? h : `${h}:${l.port}`;
  }

  contact(transport: TransportAddress['transport']): string {
    const suffix = transport === 'udp' ? '' : `;transport=${transport}`;
    return `<sip:${this.hostport(transport)}${suffix}>`;
  }

  /**
   * Where a request for `uri` goes (RFC 3263 without NAPTR: SRV when the URI names a host without
   * a port, else A/AAAA). The first server in SRV order is used; there is no failover to the next.
   */
  async resolve(uri: string): Promise<SendTargetLike> {
    const t = uriTarget(uri);
    if (!t) throw new Error(`cannot route to ${uri}`);
    let transport = (t.transport ?? (t.secure ? 'tls' : 'udp')) as SipTransportName;
    if (!['udp', 'tcp', 'tls', 'ws', 'wss'].includes(transport)) transport = 'udp';
    const [first] = await this.resolver.resolve(t.host, t.port, transport);
    if (!first) throw new Error(`no address for ${t.host}`);
    return { transport, host: first.host, port: first.port };
  }

  addServerTxn(key: string | undefined, rec: ServerTxnRecord): void {
    this.serverById.set(rec.txn.id, rec);
    if (key) this.serverByKey.set(key, rec);
    rec.txn.once('terminated', () => {
      // keep INVITE ids a little longer than the transaction so a late CANCEL/ACK still finds them
      this.serverById.delete(rec.txn.id);
      if (key && this.serverByKey.get(key) === rec) this.serverByKey.delete(key);
    });
  }

  addClientTxn(key: string | undefined, rec: ClientTxnRecord): void {
    this.clientById.set(rec.txn.id, rec);
    if (key) this.clientByKey.set(key, rec);
    rec.txn.once('terminated', () => {
      this.clientById.delete(rec.txn.id);
      if (key && this.clientByKey.get(key) === rec) this.clientByKey.delete(key);
    });
  }

  markRejected(dialogId: string): void {
    const old = this.rejectedDialogs.get(dialogId);
    if (old) clearTimeout(old);
    const t = setTimeout(() => this.rejectedDialogs.delete(dialogId), 64 * this.timers.t1);
    t.unref();
    this.rejectedDialogs.set(dialogId, t);
  }

  close(): void {
    for (const r of [...this.serverById.values()]) r.txn.terminate();
    for (const r of [...this.clientById.values()]) r.txn.terminate();
    for (const t of this.rejectedDialogs.values()) clearTimeout(t);
    this.rejectedDialogs.clear();
    this.pendingAck.clear();
    this.dialogs.clear();
  }
}
