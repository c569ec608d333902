/**
 * Responses the app sends to requests from the network (docs/drachtio-protocol.md §2.4 first row, §5.2, §5.6):
 * completing them, the echo, UAS dialogs on 2xx to INVITE, CDRs, and the BYE the server sends
 * itself when the ACK for its 2xx never comes.
 */
import { SipResponse } from '../message.js';
import { newTag } from '../ids.js';
import { Dialog } from '../dialog.js';
import type { SentInfo } from '../transaction/timers.js';
import { addBodyHeaders, canonicalize, parseCSeqValue, tagOf, uriOf, withTag } from './complete.js';
import { responseEchoFrame, sipFrame } from './messages.js';
import type { ServerContext, ServerTxnRecord } from './context.js';
import { newInDialogRequest, type UacSender } from './uac.js';

const STRUCTURAL = new Set(['via', 'v', 'from', 'f', 'to', 't', 'call-id', 'i', 'cseq', 'content-length', 'l']);

/**
 * Methods whose responses establish or refresh a dialog's remote target, so the peer needs our Contact
 * (RFC 3261 §12.1.1, §13.3.1.4; RFC 6665 §4.1.3 SUBSCRIBE; RFC 3515 REFER; RFC 3311 UPDATE). A 1xx with
 * a To tag creates an early dialog and needs it too: sip.js drops a 180 without one.
 */
const DIALOG_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'UPDATE']);

/** Whether a response of `status` to `method` must carry a Contact (`toTagged`: the response has a To tag). */
export function needsContact(method: string, status: number, toTagged: boolean): boolean {
  const m = method.toUpperCase();
  if (!DIALOG_METHODS.has(m)) return false;
  if (status >= 200 && status < 300) return true;
  return m === 'INVITE' && status > 100 && status < 200 && toTagged;
}

export class UasResponder {
  constructor(
    private readonly ctx: ServerContext,
    private readonly uac: UacSender,
  ) {}

  /** Build the full response from the app's bare one, send it, and return the echo frame. */
  async respond(msgId: string, rec: ServerTxnRecord, app: SipResponse): Promise<{ echo: string; release: () => void }> {
    const ctx = this.ctx;
    const txn = rec.txn;
    const req = txn.request;
    const isInvite = txn.isInvite;
    const status = app.status;
    const res = new SipResponse(status, app.reason);
    for (const v of req.getAll('via')) res.append('Via', v);
    if (isInvite && status > 100 && status < 300) for (const rr of req.getAll('record-route')) res.append('Record-Route', rr);
    res.append('From', req.get('from') ?? '');
    const to = req.get('to') ?? '';
    if (status > 100 && !tagOf(to)) txn.localTag ??= newTag();
    res.append('To', status > 100 && txn.localTag ? withTag(to, txn.localTag) : to);
    res.append('Call-ID', req.callId);
    res.append('CSeq', req.get('cseq') ?? '');
    for (const h of app.headers) {
      if (STRUCTURAL.has(h.name.toLowerCase())) continue;
      res.append(h.name, h.value);
    }
    const transport = rec.info.local.transport;
    if (!res.has('contact') && needsContact(req.method, status, tagOf(res.get('to') ?? '') !== undefined))
      res.append('Contact', ctx.contact(transport));
    res.body = app.body;
    addBodyHeaders(res);
    canonicalize(res);

    rec.held ??= [];
    const release = (): void => {
      const held = rec.held;
      rec.held = null;
      for (const fn of held ?? []) fn();
    };
    let sent: SentInfo;
    try {
      sent = await txn.respond(res);
    } catch (err) {
      release();
      throw err;
    }
    const target = txn.target;
    let dialogId = '';
    if (isInvite) dialogId = rec.dialogId || rec.dialog?.id || '';
    else if (rec.dialog && req.method !== 'BYE') dialogId = rec.dialog.id;
    const echo = responseEchoFrame(
      msgId,
      { len: sent.bytes.length, protocol: isInvite ? target.transport : '', address: target.host, port: target.port },
      txn.id,
      dialogId,
      sent.bytes,
    );

    if (isInvite && rec.initialInvite && status >= 200) {
      if (status < 300) {
        this.createUasDialog(rec, res);
        setImmediate(() => ctx.apps.cdr('cdr:start', 'application', sent.bytes, 'uas'));
      } else {
        setImmediate(() => ctx.apps.cdr('cdr:stop', 'application', sent.bytes, 'call-rejected'));
      }
    }
    if (isInvite && status >= 200 && status < 300) {
      const dId = dialogId;
      ctx.pendingAck.set(dId, rec);
      txn.once('terminated', () => {
        if (ctx.pendingAck.get(dId) === rec) ctx.pendingAck.delete(dId);
      });
      txn.once('ack-timeout', () => {
        void this.ackTimeout(rec);
      });
    }
    return { echo, release };
  }

  private createUasDialog(rec: ServerTxnRecord, res: SipResponse): void {
    const req = rec.txn.request;
    const contact = req.get('contact');
    const seq = parseCSeqValue(req.get('cseq')).seq;
    const reliable = rec.info.remote.transport !== 'udp';
    const d = new Dialog({
      id: rec.dialogId,
      role: 'uas',
      callId: req.callId,
      localTag: rec.txn.localTag ?? '',
      remoteTag: tagOf(req.get('from')) ?? '',
      localHeader: res.get('to') ?? '',
      remoteHeader: req.get('from') ?? '',
      remoteTarget: contact ? uriOf(contact) : uriOf(req.get('from') ?? '') || req.uri,
      routeSet: req.getAll('record-route'),
      // the real server's first in-dialog request from the UAS side carries CSeq 2
      localSeq: 1,
      remoteSeq: seq,
      inviteSeq: seq,
      ownerId: rec.appId ?? '',
      fixedTarget: reliable ? { ...rec.info.remote, connectionId: rec.info.connectionId } : undefined,
    });
    this.ctx.dialogs.add(d);
    rec.dialog = d;
  }

  /** No ACK within 64*T1: BYE with a Reason, then tell the app with an `unsolicited` frame. */
  private async ackTimeout(rec: ServerTxnRecord): Promise<void> {
    const ctx = this.ctx;
    const dialog = rec.dialog ?? ctx.dialogs.get(rec.dialogId);
    if (!dialog || ctx.dialogs.get(dialog.id) !== dialog) return;
    ctx.dialogs.delete(dialog);
    try {
      // route the BYE as the app would, but consume its response here
      const { req, target } = await newInDialogRequest(ctx, dialog, 'BYE', dialog.nextSeq());
      const t = target.transport;
      req.append('Reason', 'SIP;cause=200;text="ACK timeout"');
      req.append('Content-Length', '0');
      let sentBytes: Buffer | undefined;
      const notify = (): void => {
        const app = ctx.apps.get(dialog.ownerId);
        if (!app || !sentBytes) return;
        const l = ctx.local(t);
        app.send(
          sipFrame(
            'application',
            { len: sentBytes.length, protocol: t, address: l.host, port: l.port },
            'unsolicited',
            dialog.id,
            sentBytes,
          ),
        );
      };
      const r = await this.uac.run(req, target, { dialogId: dialog.id, initialInvite: false, internal: () => notify() });
      sentBytes = r.sent.bytes;
    } catch (err) {
      ctx.logger.warn({ err: (err as Error).message, dialog: dialog.id }, 'ACK-timeout BYE failed');
    }
  }
}
