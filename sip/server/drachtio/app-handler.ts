/**
 * Frames from applications (docs/drachtio-protocol.md §2): authenticate, route/remove_route, ping, `sip` in all its
 * dispatch cases, `proxy`; anything else is answered `NO|Unknown message type` and the connection closed.
 */
import { SipRequest, SipResponse } from '../message.js';
import { parseAppMessage } from './app-message.js';
import type { AppConnection } from './connection.js';
import {
  NOK_ACK_NON_SUCCESS,
  NOK_NO_DIALOG,
  NOK_UNKNOWN_TXN,
  requestEchoFrame,
  responseFrame,
  type AppFrame,
} from './messages.js';
import type { ServerContext } from './context.js';
import type { UacSender } from './uac.js';
import type { UasResponder } from './uas.js';
import type { ProxyRouter } from '../proxy.js';

export const SERVER_VERSION = 'v0.9.10-switchboard';

export class AppHandler {
  constructor(
    private readonly ctx: ServerContext,
    private readonly secret: string,
    private readonly uac: UacSender,
    private readonly uas: UasResponder,
    private readonly proxy: ProxyRouter,
  ) {}

  private hostports(): string {
    const all = this.ctx.transport.listening();
    const order = ['tcp', 'udp', 'tls', 'ws', 'wss'];
    return [...all]
      .sort((a, b) => order.indexOf(a.transport) - order.indexOf(b.transport))
      .map((a) => `${a.transport}/${this.ctx.externalAddress ?? a.host}:${a.port}`)
      .join(',');
  }

  onFrame(app: AppConnection, f: AppFrame): void {
    switch (f.type) {
      case 'authenticate':
        if (f.fields[0] !== this.secret) {
          app.sendAndClose(responseFrame(f.msgId, 'NO', 'incorrect secret'));
          return;
        }
        app.authenticated = true;
        app.send(responseFrame(f.msgId, 'OK', this.hostports(), SERVER_VERSION, this.hostports()));
        return;
      case 'route':
        if (f.fields[0]) app.routes.add(f.fields[0].toLowerCase());
        app.send(responseFrame(f.msgId, 'OK'));
        return;
      case 'remove_route':
        if (f.fields[0]) app.routes.delete(f.fields[0].toLowerCase());
        app.send(responseFrame(f.msgId, 'OK'));
        return;
      case 'ping':
        app.send(responseFrame(f.msgId, 'OK', 'pong'));
        return;
      case 'sip':
        void this.onSip(app, f);
        return;
      case 'proxy':
        void this.proxy.start(app, f).catch((err: Error) => app.send(responseFrame(f.msgId, 'NOK', err.message)));
        return;
      default:
        app.sendAndClose(responseFrame(f.msgId, 'NO', 'Unknown message type'));
    }
  }

  private async onSip(app: AppConnection, f: AppFrame): Promise<void> {
    const ctx = this.ctx;
    const [txnId = '', dialogId = '', routeUri = ''] = f.fields;
    let msg: SipRequest | SipResponse;
    try {
      msg = parseAppMessage(f.sip ?? '');
    } catch (err) {
      app.send(responseFrame(f.msgId, 'NOK', `Server error: ${(err as Error).message}`));
      return;
    }
    try {
      if (msg instanceof SipResponse) {
        const rec = ctx.serverById.get(txnId);
        if (!rec || rec.txn.state === 'terminated' || rec.txn.state === 'completed' || rec.txn.state === 'confirmed') {
          app.send(responseFrame(f.msgId, 'NOK', NOK_UNKNOWN_TXN));
          return;
        }
        const { echo, release } = await this.uas.respond(f.msgId, rec, msg);
        app.send(echo);
        release();
        return;
      }
      const req = msg;
      const method = req.method.toUpperCase();
      if (txnId) {
        const rec = ctx.clientById.get(txnId);
        if (method !== 'CANCEL' || !rec || !rec.txn.isInvite) {
          app.send(responseFrame(f.msgId, 'NOK', NOK_UNKNOWN_TXN));
          return;
        }
        const r = await this.uac.sendCancel(rec);
        this.echo(app, f.msgId, r.txnId, r.sent);
        r.release();
        return;
      }
      if (dialogId) {
        const dialog = ctx.dialogs.get(dialogId);
        if (!dialog) {
          const text = method === 'ACK' && ctx.rejectedDialogs.has(dialogId) ? NOK_ACK_NON_SUCCESS : NOK_NO_DIALOG;
          app.send(responseFrame(f.msgId, 'NOK', text));
          return;
        }
        const r = await this.uac.sendInDialog(app.id, dialog, req);
        this.echo(app, f.msgId, r.txnId, r.sent);
        r.release();
        return;
      }
      const r = await this.uac.sendNew(app.id, req, routeUri || undefined);
      this.echo(app, f.msgId, r.txnId, r.sent);
      r.release();
    } catch (err) {
      ctx.logger.info({ err: (err as Error).message }, 'app sip frame failed');
      app.send(responseFrame(f.msgId, 'NOK', `Server error: ${(err as Error).message}`));
    }
  }

  private echo(
    app: AppConnection,
    msgId: string,
    txnId: string,
    sent: { local: { transport: string; host: string; port: number }; bytes: Buffer },
  ): void {
    app.send(
      requestEchoFrame(
        msgId,
        { len: sent.bytes.length, protocol: sent.local.transport, address: sent.local.host, port: sent.local.port },
        txnId,
        sent.bytes,
      ),
    );
  }
}
