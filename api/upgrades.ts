/**
 * The HTTP listener's WebSocket endpoints: one `upgrade` listener that hands each request to the
 * endpoint registered for its path (404 for any other path), so several endpoints share the port.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';

export interface SocketEndpoint {
  path: string;
  /** Accepts the upgrade or answers it with an HTTP refusal (`refuseUpgrade`). */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  /** Drops the endpoint's open sockets. */
  close(): void;
}

export function refuseUpgrade(socket: Duplex, status: number, reason: string, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Serves `endpoints` on `server`; returns what detaches them and closes their sockets. */
export function serveUpgrades(server: Server, endpoints: readonly SocketEndpoint[], logger: Logger): () => void {
  const byPath = new Map(endpoints.map((e) => [e.path, e]));
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const endpoint = byPath.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!endpoint) return refuseUpgrade(socket, 404, 'Not Found', 'not found');
    endpoint.handle(req, socket, head).catch((err: unknown) => {
      logger.error({ err, path: endpoint.path }, 'WebSocket upgrade failed');
      refuseUpgrade(socket, 500, 'Internal Server Error', 'internal error');
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const e of endpoints) e.close();
  };
}

const PING_MS = 30_000;

/**
 * A stream the server only writes to (the chat sockets): a page that vanished without a close
 * frame is noticed by a missed pong and dropped, and a frame from the page is answered by a close
 * that says where to send it instead. `closed` runs once the socket is gone, however it went.
 */
export function serveListenOnly(ws: WebSocket, sendInstead: string, closed: () => void): void {
  let alive = true;
  const ping = setInterval(() => {
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
  }, PING_MS);
  ping.unref();
  ws.on('pong', () => {
    alive = true;
  });
  ws.on('message', () => ws.close(1003, sendInstead));
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    clearInterval(ping);
    closed();
  });
}

/**
 * The HTTP answer of a WebSocket path asked for without an upgrade: the upgrade itself is answered
 * by the socket endpoint before Express sees the request.
 */
export function upgradeRequired({ res }: { res: import('express').Response }): undefined {
  res.status(426).set('Upgrade', 'websocket').json({ error: 'upgrade required: open this URL as a WebSocket' });
  return undefined;
}
