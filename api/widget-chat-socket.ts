/**
 * `/api/v1/widget/ws?token=`: a visitor's live view of its chat session. Each new message of the
 * session (the visitor's own from any tab, and agents' replies) arrives as
 * `{"type":"message","content","sender",...}`. The token must open a live session and the page's
 * Origin must be one of the widget's allowed domains; a revoked or expired session is closed
 * (4001 revoked, 4002 expired; 1001 when the server stops). The socket only listens: visitors send through POST /messages.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { Store } from '../src/store/index.js';
import { originAllowed, pageOrigin } from '../src/widgets/origin.js';
import type { VisitorChat } from '../src/widgets/visitor-chat.js';
import { isoSeconds, messageFrame } from './widget-chat-json.js';
import { refuseUpgrade, type SocketEndpoint, serveListenOnly } from './upgrades.js';

export const WIDGET_WS_PATH = '/api/v1/widget/ws';
/** Tabs one session may have open at once; more is a client bug or abuse. */
const MAX_SOCKETS_PER_SESSION = 10;

export interface WidgetChatSocketDeps {
  store: Store;
  chat: VisitorChat;
  logger: Logger;
}

/** The visitor's socket endpoint, for `serveUpgrades`. */
export function widgetChatSocket(deps: WidgetChatSocketDeps): SocketEndpoint {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  const log = deps.logger;

  const accept = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const session = await deps.chat.authorize(url.searchParams.get('token') ?? undefined);
    if (!session) return refuseUpgrade(socket, 401, 'Unauthorized', 'missing, expired or revoked widget session token');
    const widget = await deps.store.widgets.get(session.widgetId);
    const page = pageOrigin(req.headers.origin, undefined);
    if (!widget || !originAllowed(widget.allowedDomains, page, req.headers.host)) {
      log.info(
        { session: session.publicId, page: page?.origin ?? null },
        'widget socket refused to a page outside its allowed domains',
      );
      return refuseUpgrade(socket, 403, 'Forbidden', 'forbidden: this page is not an allowed domain of the widget');
    }
    if (deps.chat.followers(session.id) >= MAX_SOCKETS_PER_SESSION)
      return refuseUpgrade(socket, 429, 'Too Many Requests', 'too many open sockets for this session');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const unsubscribe = deps.chat.subscribe(session, {
        message: (m) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(messageFrame(m, session.publicId)));
        },
        ended: (reason) =>
          reason === 'shutdown'
            ? ws.close(1001, 'server stopping')
            : ws.close(reason === 'revoked' ? 4001 : 4002, `session ${reason}`),
      });
      serveListenOnly(ws, 'send messages with POST /api/v1/widget/messages', unsubscribe);
      ws.send(JSON.stringify({ type: 'ready', session_id: session.publicId, expires_at: isoSeconds(session.expiresAt) }));
      // a revoke that landed between the token check and the subscription would otherwise go unseen
      void deps.store.widgetSessions.get(session.id).then((latest) => {
        if (latest?.revokedAt) ws.close(4001, 'session revoked');
      });
    });
  };

  return {
    path: WIDGET_WS_PATH,
    handle: accept,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
