/**
 * `/v1/agent-widget/ws?token=voywt_…`: the agent softphone's live view of its project's visitor
 * chat. Frames: `{type:"ready", agent}`, then `{type:"conversation", conversation}` when a visitor
 * opens a session and `{type:"message", conversation, message}` for every message of any of the
 * project's sessions (visitors' and agents', whichever face sent them), `{type:"ended", session_id}`
 * when the project ends one. Only the widget session's
 * own project is followed. Revoking the widget session closes the socket at once (4001), its
 * expiry too (4002); 1001 when the server stops. The socket only listens: replies are POSTed.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { AgentWidgetSessions } from '../src/agents/agent-widget-sessions.js';
import type { VisitorChat } from '../src/widgets/visitor-chat.js';
import { messageJson, sessionJson } from './widget-chat-json.js';
import { refuseUpgrade, type SocketEndpoint, serveListenOnly } from './upgrades.js';

export const AGENT_CHAT_WS_PATH = '/v1/agent-widget/ws';
/** Tabs and frames one widget session may hold open at once. */
const MAX_SOCKETS_PER_SESSION = 10;

export interface AgentChatSocketDeps {
  sessions: AgentWidgetSessions;
  chat: VisitorChat;
  logger: Logger;
}

/** The page is ours: a browser Origin other than the server's own host is some other site holding a token. */
function sameHost(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function agentChatSocket(deps: AgentChatSocketDeps): SocketEndpoint {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  /** Open sockets per widget session id, for the revocation kick and the per-session cap. */
  const open = new Map<number, Set<WebSocket>>();

  const onRevoked = ({ sessionId }: { sessionId: number }): void => {
    for (const ws of open.get(sessionId) ?? []) ws.close(4001, 'session revoked');
  };
  deps.sessions.on('revoked', onRevoked);

  const accept = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const live = await deps.sessions.authorize(url.searchParams.get('token') ?? '');
    if (!live) return refuseUpgrade(socket, 401, 'Unauthorized', 'missing, expired or revoked widget session');
    if (!sameHost(req)) {
      deps.logger.info({ session: live.session.id, origin: req.headers.origin }, 'agent chat socket refused to a foreign page');
      return refuseUpgrade(socket, 403, 'Forbidden', 'forbidden: the softphone page is served by this server');
    }
    const id = live.session.id;
    if ((open.get(id)?.size ?? 0) >= MAX_SOCKETS_PER_SESSION)
      return refuseUpgrade(socket, 429, 'Too Many Requests', 'too many open sockets for this widget session');
    wss.handleUpgrade(req, socket, head, (ws) => {
      let set = open.get(id);
      if (!set) open.set(id, (set = new Set()));
      set.add(ws);
      const send = (frame: unknown): void => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
      };
      const unfollow = deps.chat.followProject(live.session.projectId, {
        opened: (s) => send({ type: 'conversation', conversation: sessionJson(s) }),
        message: (m, s) => send({ type: 'message', conversation: sessionJson(s), message: messageJson(m, s.publicId) }),
        ended: (s) => send({ type: 'ended', session_id: s.publicId }),
      });
      const expiry = setTimeout(
        () => ws.close(4002, 'session expired'),
        Math.max(0, Date.parse(live.session.expiresAt) - Date.now()),
      );
      expiry.unref();
      serveListenOnly(ws, 'send replies with POST /v1/agent-widget/conversations/:id/messages', () => {
        clearTimeout(expiry);
        unfollow();
        set.delete(ws);
        if (set.size === 0 && open.get(id) === set) open.delete(id);
      });
      send({
        type: 'ready',
        agent: { id: live.agent.id, username: live.agent.username, label: live.agent.displayName ?? live.agent.username },
      });
      // a revoke between the token check and the registration above would otherwise go unseen
      void deps.sessions.authorize(url.searchParams.get('token') ?? '').then((still) => {
        if (!still) ws.close(4001, 'session revoked');
      });
    });
  };

  return {
    path: AGENT_CHAT_WS_PATH,
    handle: accept,
    close: () => {
      deps.sessions.off('revoked', onRevoked);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
