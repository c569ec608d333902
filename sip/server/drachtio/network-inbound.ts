/**
 * Requests arriving from the network (docs/drachtio-protocol.md §3.2, §5.1, §5.5, §5.7): retransmission absorption,
 * 100 Trying, Max-Forwards, ACK and CANCEL matching, in-dialog routing or 481, routing new requests to
 * an app (503 when none routes the method), and CDRs.
 */
import type { SipRequest } from '../message.js';
import { serializeMessage } from '../serializer.js';
import { newTag, newUuid } from '../ids.js';
import { makeDialogId } from '../dialog.js';
import { ServerTransaction } from '../transaction/server-transaction.js';
import { serverKey, topVia } from '../transaction/keys.js';
import type { SendTargetLike } from '../transaction/timers.js';
import { parseCSeqValue, tagOf } from './complete.js';
import { sipFrame } from './messages.js';
import { makeResponse } from './respond.js';
import { afterEcho, type InboundInfo, type ServerContext, type ServerTxnRecord } from './context.js';
import type { ProxyRouter } from '../proxy.js';
import { checkRequest, type Refusal } from './request-checks.js';
import { earlyUpdateAnswer } from './early-update.js';

export class NetworkInbound {
  constructor(
    private readonly ctx: ServerContext,
    private readonly proxy: ProxyRouter,
  ) {}

  /** Where responses to `req` go: the source for rport/reliable, else the Via sent-by port. */
  responseTarget(req: SipRequest, info: InboundInfo): SendTargetLike {
    const via = topVia(req);
    const reliable = info.remote.transport !== 'udp';
    const useSource = reliable || (via && 'rport' in via.params);
    const port = useSource ? info.remote.port : (via?.port ?? 5060);
    return { ...info.remote, port, connectionId: info.connectionId };
  }

  onRequest(req: SipRequest, info: InboundInfo): void {
    const ctx = this.ctx;
    const method = req.method.toUpperCase();
    const key = serverKey(method, req);
    if (method === 'ACK') return this.onAck(req, info, key);

    const existing = key ? ctx.serverByKey.get(key) : undefined;
    if (existing) {
      existing.txn.onRetransmission();
      return;
    }
    if (method !== 'CANCEL' && ctx.load.overloaded(info.remote.host)) {
      this.shed(req, info);
      return;
    }

    const mf = req.get('max-forwards');
    if (mf !== undefined && Number(mf.trim()) <= 0) {
      this.statelessReply(req, info, key, 483);
      return;
    }
    if (method === 'CANCEL') return this.onCancel(req, info, key);
    const refusal = checkRequest(req, ctx.apps);
    if (refusal) {
      this.statelessReply(req, info, key, refusal.status, refusal);
      return;
    }

    const toTag = tagOf(req.get('to'));
    if (toTag) return this.onInDialog(req, info, key, toTag);
    if (this.proxy.handleLooseRouted(req, info)) return;

    const txn = this.newTxn(req, info);
    const rec: ServerTxnRecord = { txn, info, dialogId: '', initialInvite: method === 'INVITE' };
    ctx.addServerTxn(key, rec);
    if (method === 'INVITE') {
      txn.respond(makeResponse(req, 100)).catch(() => undefined);
    }
    const app = ctx.apps.pick(method.toLowerCase());
    if (!app) {
      txn.respond(makeResponse(req, 503, (txn.localTag ??= newTag()))).catch(() => undefined);
      return;
    }
    rec.appId = app.id;
    if (method === 'INVITE') {
      rec.dialogId = makeDialogId(req.callId, tagOf(req.get('from')) ?? '');
      ctx.earlyInvites.track(
        rec.dialogId,
        {
          role: 'uas',
          localTag: () => txn.localTag,
          inviteHadOffer: req.body.length > 0,
          pending: () => txn.state === 'proceeding',
        },
        (fn) => txn.once('terminated', fn),
      );
    }
    const raw = serializeMessage(req);
    app.send(sipFrame('network', this.wire(info), txn.id, '', raw, { address: info.local.host, port: info.local.port }));
    if (method === 'INVITE') ctx.apps.cdr('cdr:attempt', 'network', raw);
  }

  private wire(info: InboundInfo, protocol?: string): { len: number; protocol: string; address: string; port: number } {
    return { len: info.bytes, protocol: protocol ?? info.remote.transport, address: info.remote.host, port: info.remote.port };
  }

  private newTxn(req: SipRequest, info: InboundInfo): ServerTransaction {
    const source = info.remote.host;
    const load = this.ctx.load;
    const txn = new ServerTransaction({
      id: newUuid(),
      request: req,
      target: this.responseTarget(req, info),
      timers: this.ctx.timers,
      sender: this.ctx.transport,
      logger: this.ctx.logger,
      retransmitFinal: () => load.retransmits(source),
    });
    load.track(source, txn);
    return txn;
  }

  /** A source over its transaction cap: 503 without a transaction, so shedding keeps nothing and sends one datagram per request. */
  private shed(req: SipRequest, info: InboundInfo): void {
    const res = makeResponse(req, 503, newTag());
    res.headers.splice(res.headers.length - 1, 0, { name: 'Retry-After', value: '5' });
    this.ctx.transport.send(res, this.responseTarget(req, info)).catch(() => undefined);
    this.shedCount++;
  }

  /** Requests refused by shedding since start. */
  shedCount = 0;

  private statelessReply(req: SipRequest, info: InboundInfo, key: string | undefined, status: number, refusal?: Refusal): void {
    const txn = this.newTxn(req, info);
    this.ctx.addServerTxn(key, { txn, info, dialogId: '', initialInvite: false });
    const res = makeResponse(req, status, newTag(), refusal?.reason);
    // extra headers go before Content-Length, which makeResponse puts last
    if (refusal) res.headers.splice(res.headers.length - 1, 0, ...refusal.headers.map(([name, value]) => ({ name, value })));
    txn.respond(res).catch(() => undefined);
  }

  private onAck(req: SipRequest, info: InboundInfo, key: string | undefined): void {
    const ctx = this.ctx;
    const byBranch = key ? ctx.serverByKey.get(key) : undefined;
    if (byBranch && (byBranch.txn.state === 'completed' || byBranch.txn.state === 'confirmed')) {
      byBranch.txn.onAck(); // ACK for a non-2xx: absorbed
      return;
    }
    const dialog = ctx.dialogs.match(req.callId, tagOf(req.get('to')), tagOf(req.get('from')));
    if (dialog) {
      const pending = ctx.pendingAck.get(dialog.id);
      if (
        !pending ||
        !pending.txn.awaitingAck ||
        parseCSeqValue(pending.txn.request.get('cseq')).seq !== parseCSeqValue(req.get('cseq')).seq
      )
        return; // retransmitted ACK
      pending.txn.onAck();
      const app = pending.appId ? ctx.apps.get(pending.appId) : undefined;
      const frame = sipFrame('network', this.wire(info, ''), pending.txn.id, dialog.id, serializeMessage(req));
      afterEcho(pending, () => app?.send(frame));
      return;
    }
    this.proxy.forwardInDialog(req, info);
  }

  private onCancel(req: SipRequest, info: InboundInfo, key: string | undefined): void {
    const ctx = this.ctx;
    const inviteKey = serverKey('INVITE', req);
    const invite = inviteKey ? ctx.serverByKey.get(inviteKey) : undefined;
    if (!invite) {
      this.statelessReply(req, info, key, 481);
      return;
    }
    const txn = this.newTxn(req, info);
    ctx.addServerTxn(key, { txn, info, dialogId: '', initialInvite: false });
    const inv = invite.txn;
    inv.localTag ??= newTag();
    txn.respond(makeResponse(req, 200, inv.localTag)).catch(() => undefined);
    if (inv.state !== 'proceeding') return;
    if (invite.proxy) {
      invite.proxy.cancel();
      return;
    }
    // the CDR carries the whole INVITE, which the transaction trims once its final is out
    const inviteRaw = invite.initialInvite && invite.appId ? serializeMessage(inv.request) : undefined;
    inv.respond(makeResponse(inv.request, 487, inv.localTag)).catch(() => undefined);
    afterEcho(invite, () => {
      if (inviteRaw) ctx.apps.cdr('cdr:stop', 'network', inviteRaw, 'call-canceled');
      const app = invite.appId ? ctx.apps.get(invite.appId) : undefined;
      // the len field carries the INVITE's length, as the real server does (docs/drachtio-protocol.md §3.2)
      app?.send(
        sipFrame('network', this.wire({ ...info, bytes: invite.info.bytes }), inv.id, invite.dialogId, serializeMessage(req)),
      );
    });
  }

  private onInDialog(req: SipRequest, info: InboundInfo, key: string | undefined, toTag: string): void {
    const ctx = this.ctx;
    const dialog = ctx.dialogs.match(req.callId, toTag, tagOf(req.get('from')));
    if (!dialog) {
      if (this.proxy.forwardInDialog(req, info)) return;
      const early =
        req.method.toUpperCase() === 'UPDATE' ? ctx.earlyInvites.find(req, tagOf(req.get('from')) ?? '', toTag) : undefined;
      if (early) {
        const answer = earlyUpdateAnswer(early, req, ctx.contact(info.local.transport));
        this.statelessReply(req, info, key, answer.status, answer);
        return;
      }
      this.statelessReply(req, info, key, 481);
      return;
    }
    const app = ctx.apps.get(dialog.ownerId);
    if (!app) {
      this.statelessReply(req, info, key, 481);
      return;
    }
    const method = req.method.toUpperCase();
    const txn = this.newTxn(req, info);
    txn.localTag = dialog.localTag;
    ctx.addServerTxn(key, { txn, info, dialogId: dialog.id, dialog, appId: app.id, initialInvite: false });
    if (method === 'INVITE') txn.respond(makeResponse(req, 100)).catch(() => undefined);
    const seq = Number((req.get('cseq') ?? '').trim().split(/\s+/)[0]);
    if (seq > dialog.remoteSeq) dialog.remoteSeq = seq;
    const raw = serializeMessage(req);
    app.send(sipFrame('network', this.wire(info), txn.id, dialog.id, raw));
    if (method === 'BYE') {
      ctx.apps.cdr('cdr:stop', 'network', raw, 'normal-release');
      ctx.dialogs.delete(dialog);
    }
  }
}
