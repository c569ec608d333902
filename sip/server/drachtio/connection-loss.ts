/**
 * A browser's dialogs are bound to its WebSocket: when that socket is gone nothing can reach the
 * browser again (it cannot reconnect into the same flow), so its dialogs are over. The app learns
 * it the way it learns of the ACK-timeout BYE: an `unsolicited` BYE notification for each dialog.
 * Nothing goes on the wire. TCP/TLS peers are left alone: they may reconnect and carry on.
 */
import { serializeMessage } from '../serializer.js';
import type { ServerContext } from './context.js';
import { sipFrame } from './messages.js';
import { newInDialogRequest } from './uac.js';

export async function endDialogsOfLostConnection(ctx: ServerContext, connectionId: string): Promise<number> {
  const lost = ctx.dialogs.all().filter((d) => {
    const t = d.fixedTarget;
    return t?.connectionId === connectionId && (t.transport === 'ws' || t.transport === 'wss');
  });
  for (const dialog of lost) {
    ctx.dialogs.delete(dialog);
    const { req, target } = await newInDialogRequest(ctx, dialog, 'BYE', dialog.nextSeq());
    req.append('Reason', 'SIP;cause=200;text="Connection lost"');
    req.append('Content-Length', '0');
    const bytes = serializeMessage(req);
    const app = ctx.apps.get(dialog.ownerId);
    if (!app) continue;
    const l = ctx.local(target.transport);
    app.send(
      sipFrame(
        'application',
        { len: bytes.length, protocol: target.transport, address: l.host, port: l.port },
        'unsolicited',
        dialog.id,
        bytes,
      ),
    );
  }
  return lost.length;
}
