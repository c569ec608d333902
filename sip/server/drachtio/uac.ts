/**
 * Sending requests for applications (docs/drachtio-protocol.md §2.4, §5.3, §5.4, §5.8, §5.9): completing the bare
 * request srf sends, running the client transaction, forwarding responses as `sip|network` frames,
 * UAC dialogs on 2xx, CDRs, and synthesized 408/503.
 */
import { SipRequest, type SipResponse } from '../message.js';
import { serializeMessage } from '../serializer.js';
import { initialCSeq, newBranch, newCallId, newTag, newUuid } from '../ids.js';
import { Dialog, makeDialogId } from '../dialog.js';
import { ClientTransaction } from '../transaction/client-transaction.js';
import { clientKey } from '../transaction/keys.js';
import type { SendTargetLike, SentInfo } from '../transaction/timers.js';
import { addBodyHeaders, canonicalize, parseCSeqValue, replaceLocalhost, tagOf, uriOf, withTag } from './complete.js';
import { sipFrame } from './messages.js';
import { makeResponse } from './respond.js';
import type { ClientTxnRecord, ServerContext } from './context.js';

export interface UacResult {
  txnId: string;
  sent: SentInfo;
  /** Call once the app has the echo: delivers responses held meanwhile. */
  release: () => void;
}

const STRUCTURAL = new Set(['via', 'max-forwards', 'from', 'to', 'call-id', 'cseq', 'content-length']);

/**
 * A request inside `dialog` as RFC 3261 §12.2.1.1 builds it: Request-URI the remote target, Route
 * set, From/To/Call-ID from dialog state, sent towards the first route (or the fixed target of a
 * connection-bound peer).
 */
export async function newInDialogRequest(
  ctx: ServerContext,
  dialog: Dialog,
  method: string,
  seq: number,
): Promise<{ req: SipRequest; target: SendTargetLike }> {
  const firstHop = dialog.routeSet[0] ? uriOf(dialog.routeSet[0]) : dialog.remoteTarget;
  const target = dialog.fixedTarget ?? (await ctx.resolve(firstHop));
  const t = target.transport;
  const req = new SipRequest(method, dialog.remoteTarget);
  req.append('Via', `SIP/2.0/${t.toUpperCase()} ${ctx.viaSentBy(t)};rport;branch=${newBranch()}`);
  req.append('Max-Forwards', '70');
  for (const r of dialog.routeSet) req.append('Route', r);
  req.append('From', dialog.localHeader);
  req.append('To', dialog.remoteHeader);
  req.append('Call-ID', dialog.callId);
  req.append('CSeq', `${seq} ${method}`);
  return { req, target };
}

export class UacSender {
  constructor(private readonly ctx: ServerContext) {}

  /** `sip||` (and `sip|||<routeUri>`): a new out-of-dialog request. */
  async sendNew(appId: string, app: SipRequest, routeUri?: string): Promise<UacResult> {
    const ctx = this.ctx;
    const firstHop = routeUri || (app.getAll('route')[0] ? uriOf(app.getAll('route')[0]!) : app.uri);
    const target = await ctx.resolve(firstHop);
    const t = target.transport;
    const hp = ctx.hostport(t);
    const req = new SipRequest(app.method.toUpperCase(), app.uri);
    req.append('Via', `SIP/2.0/${t.toUpperCase()} ${ctx.viaSentBy(t)};rport;branch=${newBranch()}`);
    req.append('Max-Forwards', app.get('max-forwards') ?? '70');
    const from = app.get('from');
    req.append('From', withTag(from ? replaceLocalhost(from, hp) : `<sip:${hp}>`, newTag()));
    req.append('To', app.get('to') ?? `<${app.uri}>`);
    req.append('Call-ID', app.get('call-id') ?? newCallId());
    req.append('CSeq', app.get('cseq') ?? `${initialCSeq()} ${req.method}`);
    for (const h of app.headers) {
      const n = h.name.toLowerCase();
      if (STRUCTURAL.has(n) || ['f', 't', 'i', 'v', 'l'].includes(n)) continue;
      req.append(h.name, n === 'contact' || n === 'm' ? replaceLocalhost(h.value, hp) : h.value);
    }
    if (req.method === 'INVITE' && !req.has('contact')) req.append('Contact', ctx.contact(t));
    req.body = app.body;
    addBodyHeaders(req);
    canonicalize(req);
    const isInvite = req.method === 'INVITE';
    const dialogId = isInvite ? makeDialogId(req.callId, tagOf(req.get('from')) ?? '') : '';
    return this.run(req, target, { appId, dialogId, initialInvite: isInvite });
  }

  /** `sip||<dialogId>`: a request inside a dialog; ACK goes out without a transaction. */
  async sendInDialog(appId: string, dialog: Dialog, app: SipRequest): Promise<UacResult> {
    const ctx = this.ctx;
    const method = app.method.toUpperCase();
    const seq = method === 'ACK' ? dialog.inviteSeq : dialog.nextSeq();
    const { req, target } = await newInDialogRequest(ctx, dialog, method, seq);
    const t = target.transport;
    for (const h of app.headers) {
      const n = h.name.toLowerCase();
      if (STRUCTURAL.has(n) || n === 'route' || ['f', 't', 'i', 'v', 'l'].includes(n)) continue;
      req.append(h.name, h.value);
    }
    if (method === 'INVITE') {
      dialog.inviteSeq = seq;
      if (!req.has('contact')) req.append('Contact', ctx.contact(t));
    }
    req.body = app.body;
    addBodyHeaders(req);
    canonicalize(req);
    if (method === 'ACK') {
      const sent = await ctx.transport.send(req, target);
      dialog.lastAck = req;
      dialog.lastAckTarget = target;
      return { txnId: newUuid(), sent, release: () => undefined };
    }
    const result = await this.run(req, target, { appId, dialogId: dialog.id, initialInvite: false });
    if (method === 'BYE') {
      ctx.apps.cdr('cdr:stop', 'application', result.sent.bytes, 'normal-release');
      ctx.dialogs.delete(dialog);
    }
    return result;
  }

  /** CANCEL for the app's pending INVITE (same branch, RFC 3261 §9.1). */
  async sendCancel(rec: ClientTxnRecord): Promise<UacResult> {
    const inv = rec.txn.request;
    const req = new SipRequest('CANCEL', inv.uri);
    req.append('Via', inv.get('via') ?? '');
    req.append('Max-Forwards', '70');
    for (const r of inv.getAll('route')) req.append('Route', r);
    req.append('From', inv.get('from') ?? '');
    req.append('To', inv.get('to') ?? '');
    req.append('Call-ID', inv.callId);
    req.append('CSeq', `${parseCSeqValue(inv.get('cseq')).seq} CANCEL`);
    req.append('Content-Length', '0');
    rec.canceled = true;
    return this.run(req, rec.txn.target, { dialogId: '', initialInvite: false, internal: () => undefined });
  }

  /** Run a client transaction for `req`; responses go to the owning app unless `internal` is set. */
  async run(req: SipRequest, target: SendTargetLike, opts: Omit<ClientTxnRecord, 'txn' | 'canceled'>): Promise<UacResult> {
    const ctx = this.ctx;
    const txn = new ClientTransaction({
      id: newUuid(),
      request: req,
      target,
      timers: ctx.timers,
      sender: ctx.transport,
      logger: ctx.logger,
      ackMaxForwards: !opts.proxy,
    });
    const rec: ClientTxnRecord = { ...opts, txn, canceled: false };
    ctx.addClientTxn(clientKey(req), rec);
    if (opts.initialInvite && opts.dialogId) {
      const localTag = tagOf(req.get('from'));
      ctx.earlyInvites.track(
        opts.dialogId,
        {
          role: 'uac',
          localTag: () => localTag,
          inviteHadOffer: req.body.length > 0,
          pending: () => txn.state === 'calling' || txn.state === 'proceeding',
        },
        (fn) => txn.once('terminated', fn),
      );
    }
    // a fast peer can answer before the echo reaches the app; hold events until release()
    if (opts.appId && !opts.internal && !opts.proxy) rec.held = [];
    const later = (fn: () => void): void => {
      if (rec.held) rec.held.push(fn);
      else fn();
    };
    txn.on('response', (res) => {
      const info = rec.lastInfo;
      later(() => {
        rec.lastInfo = info;
        this.onResponse(rec, res);
      });
    });
    txn.on('retransmitted-2xx', (res) => {
      const d = ctx.dialogs.get(rec.dialogId);
      if (d?.lastAck && d.lastAckTarget && parseCSeqValue(res.get('cseq')).seq === parseCSeqValue(d.lastAck.get('cseq')).seq) {
        ctx.transport.send(d.lastAck, d.lastAckTarget).catch(() => undefined);
      }
    });
    txn.on('timeout', () => later(() => this.synthesize(rec, 408)));
    txn.on('transport-error', () => later(() => this.synthesize(rec, 503)));
    let sent: SentInfo;
    try {
      sent = await txn.start();
    } catch {
      // the echo still goes to the app; the failure arrives as a synthesized 503 (a3 #23-#24)
      sent = { local: ctx.local(target.transport), bytes: serializeMessage(req) };
      later(() => this.synthesize(rec, 503));
    }
    if (opts.initialInvite) ctx.apps.cdr('cdr:attempt', 'application', sent.bytes);
    const release = (): void => {
      const held = rec.held;
      rec.held = null;
      for (const fn of held ?? []) fn();
    };
    return { txnId: txn.id, sent, release };
  }

  onResponse(rec: ClientTxnRecord, res: SipResponse): void {
    const ctx = this.ctx;
    if (rec.proxy) {
      rec.proxy.onResponse(rec, res);
      return;
    }
    if (rec.internal) {
      if (res.status >= 200) rec.internal(res.status);
      return;
    }
    if (res.status === 100) return;
    const app = rec.appId ? ctx.apps.get(rec.appId) : undefined;
    const isInvite = rec.txn.isInvite;
    const raw = serializeMessage(res);
    if (isInvite && res.status >= 200 && res.status < 300) this.createUacDialog(rec, res);
    const i = rec.lastInfo;
    const w = i
      ? { len: i.bytes, protocol: i.remote.transport, address: i.remote.host, port: i.remote.port }
      : { len: raw.length, protocol: rec.txn.target.transport, address: rec.txn.target.host, port: rec.txn.target.port };
    app?.send(sipFrame('network', w, rec.txn.id, rec.dialogId, raw));
    if (res.status < 200) return;
    rec.txn.release();
    if (!rec.initialInvite) return;
    if (res.status < 300) ctx.apps.cdr('cdr:start', 'network', raw, 'uac');
    else {
      ctx.markRejected(rec.dialogId);
      ctx.apps.cdr('cdr:stop', 'network', raw, rec.canceled && res.status === 487 ? 'call-canceled' : 'call-rejected');
    }
  }

  private createUacDialog(rec: ClientTxnRecord, res: SipResponse): void {
    const ctx = this.ctx;
    const existing = ctx.dialogs.get(rec.dialogId);
    const contact = res.get('contact');
    if (existing) {
      if (contact) existing.remoteTarget = uriOf(contact);
      return;
    }
    if (!rec.initialInvite) return;
    const req = rec.txn.request;
    const seq = parseCSeqValue(req.get('cseq')).seq;
    ctx.dialogs.add(
      new Dialog({
        id: rec.dialogId,
        role: 'uac',
        callId: req.callId,
        localTag: tagOf(req.get('from')) ?? '',
        remoteTag: tagOf(res.get('to')) ?? '',
        localHeader: req.get('from') ?? '',
        remoteHeader: res.get('to') ?? '',
        remoteTarget: contact ? uriOf(contact) : req.uri,
        routeSet: res.getAll('record-route').reverse(),
        localSeq: seq,
        remoteSeq: 0,
        inviteSeq: seq,
        ownerId: rec.appId ?? '',
        fixedTarget: rec.txn.target.transport === 'udp' ? undefined : rec.txn.target,
      }),
    );
  }

  private synthesize(rec: ClientTxnRecord, status: 408 | 503): void {
    const ctx = this.ctx;
    if (rec.internal) {
      rec.internal(status);
      return;
    }
    if (rec.proxy) {
      rec.proxy.onResponse(rec, makeResponse(rec.txn.request, status, newTag()));
      return;
    }
    const res = makeResponse(rec.txn.request, status, newTag());
    // the real server writes the synthesized To as a bare addr-spec when the URI allows it (a3 #24)
    const to = rec.txn.request.get('to') ?? '';
    const bare = uriOf(to);
    if (/^<[^>]*>$/.test(to.trim()) && !/[;?,]/.test(bare)) res.set('To', `${bare};tag=${tagOf(res.get('to')) ?? newTag()}`);
    const raw = serializeMessage(res);
    const app = rec.appId ? ctx.apps.get(rec.appId) : undefined;
    app?.send(
      sipFrame('network', { len: 0, protocol: rec.txn.target.transport, address: '', port: 0 }, rec.txn.id, rec.dialogId, raw),
    );
    if (rec.initialInvite) {
      ctx.markRejected(rec.dialogId);
      ctx.apps.cdr('cdr:stop', 'network', raw, 'call-rejected');
    }
  }
}
