/**
 * The embedded SIP server: the transport layer, transactions, dialogs, the proxy, and the drachtio
 * admin listener that drachtio-srf applications connect to, composed into one object with
 * `start()` and a cascading `close()`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { SipRequest, type SipResponse, type TransportAddress } from './message.js';
import {
  TransportLayer,
  parseListenSpec,
  type ConnectionLimits,
  type ListenSpec,
  type ReceivedInfo,
} from './transport/transport-layer.js';
import { SourceLoad } from './drachtio/source-load.js';
import { newUuid } from './ids.js';
import { clientKey } from './transaction/keys.js';
import { resolveTimers, type SipTimers } from './transaction/timers.js';
import { AppConnection } from './drachtio/connection.js';
import { AppHandler } from './drachtio/app-handler.js';
import { ServerContext } from './drachtio/context.js';
import { NetworkInbound } from './drachtio/network-inbound.js';
import { UacSender } from './drachtio/uac.js';
import { UasResponder } from './drachtio/uas.js';
import { ProxyRouter } from './proxy.js';
import { SipResolver } from './resolver.js';
import { endDialogsOfLostConnection } from './drachtio/connection-loss.js';

export interface SipServerOptions {
  listen: (ListenSpec | string)[];
  admin: { host: string; port: number };
  secret: string;
  /** Address put in Via/Contact/Record-Route instead of the listening host (server behind NAT). */
  externalAddress?: string;
  timers?: Partial<SipTimers>;
  tls?: { cert: string; key: string };
  maxMessageSize?: number;
  /** SO_RCVBUF/SO_SNDBUF of the UDP sockets; default 4 MiB / 1 MiB (capped by net.core.rmem_max/wmem_max). */
  udpReceiveBufferBytes?: number;
  udpSendBufferBytes?: number;
  /** Deadlines, per-source cap and WebSocket origins for accepted TCP/TLS/WS connections. */
  connections?: Partial<ConnectionLimits>;
  /**
   * Server transactions one source address may hold waiting for an app's answer or its own ACK;
   * beyond it, or once it leaves 256 rejected INVITEs unACKed, requests get a stateless 503 (default 2000; 0 disables).
   */
  maxTransactionsPerSource?: number;
  /** DNS servers (`ip` or `ip:port`) for locating other SIP servers; the system's by default. */
  dnsServers?: string[];
  logger?: Logger;
}

export interface SipServerAddresses {
  admin: { host: string; port: number };
  sip: TransportAddress[];
}

export class SipServer {
  private readonly logger: Logger;
  private readonly transport: TransportLayer;
  private readonly ctx: ServerContext;
  private readonly inbound: NetworkInbound;
  private readonly proxy: ProxyRouter;
  private readonly handler: AppHandler;
  private admin?: Server;
  private readonly sockets = new Set<Socket>();
  private closed = false;

  constructor(private readonly opts: SipServerOptions) {
    this.logger = opts.logger ?? pino({ level: 'silent' });
    const listen = opts.listen.map((l) => (typeof l === 'string' ? parseListenSpec(l) : l));
    const load = new SourceLoad(opts.maxTransactionsPerSource ?? 2000);
    this.transport = new TransportLayer({
      listen,
      tls: opts.tls,
      maxMessageSize: opts.maxMessageSize,
      logger: this.logger,
      udpReceiveBufferBytes: opts.udpReceiveBufferBytes,
      udpSendBufferBytes: opts.udpSendBufferBytes,
      connections: opts.connections,
      admit: (host) => load.admits(host),
    });
    this.ctx = new ServerContext(
      this.transport,
      resolveTimers(opts.timers),
      opts.externalAddress,
      this.logger,
      new SipResolver({ servers: opts.dnsServers }),
      load,
    );
    const uac = new UacSender(this.ctx);
    this.proxy = new ProxyRouter(this.ctx, uac);
    this.inbound = new NetworkInbound(this.ctx, this.proxy);
    this.handler = new AppHandler(this.ctx, opts.secret, uac, new UasResponder(this.ctx, uac), this.proxy);
    this.transport.on('message', (msg, info) => this.onMessage(msg, info));
    this.transport.on('error', (err) => this.logger.warn({ err: err.message }, 'transport error'));
    this.transport.on('connection-closed', ({ connectionId }) => {
      endDialogsOfLostConnection(this.ctx, connectionId).then(
        (n) => {
          if (n > 0) this.logger.info({ connectionId, dialogs: n }, 'WebSocket lost: dialogs ended');
        },
        (err: unknown) => this.logger.warn({ err, connectionId }, 'ending dialogs of a lost connection failed'),
      );
    });
  }

  async start(): Promise<SipServerAddresses> {
    await this.transport.start();
    const admin = createServer((socket) => this.onAdminConnection(socket));
    this.admin = admin;
    await new Promise<void>((resolve, reject) => {
      admin.once('error', reject);
      admin.listen(this.opts.admin.port, this.opts.admin.host, () => {
        admin.off('error', reject);
        resolve();
      });
    });
    const a = admin.address();
    const port = typeof a === 'object' && a ? a.port : this.opts.admin.port;
    this.logger.info({ admin: `${this.opts.admin.host}:${port}`, sip: this.transport.listening() }, 'sip server listening');
    return { admin: { host: this.opts.admin.host, port }, sip: this.transport.listening() };
  }

  /** Counts for tests and health checks: nothing should remain after calls end. */
  stats(): {
    dialogs: number;
    serverTransactions: number;
    clientTransactions: number;
    apps: number;
    shed: number;
    connections: number;
  } {
    return {
      dialogs: this.ctx.dialogs.size,
      serverTransactions: this.ctx.serverById.size,
      clientTransactions: this.ctx.clientById.size,
      apps: this.ctx.apps.all().filter((a) => !a.isClosed).length,
      shed: this.inbound.shedCount,
      connections: this.transport.connectionCount(),
    };
  }

  /** Closes the stream connection (TCP, TLS, WebSocket) to `remote`; its dialogs end as for a lost connection. */
  closeConnection(remote: { transport: string; host: string; port: number }): boolean {
    return this.transport.closeConnection(remote);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const app of this.ctx.apps.all()) app.close();
    for (const s of this.sockets) s.destroy();
    this.ctx.close();
    this.proxy.close();
    await new Promise<void>((resolve) => (this.admin ? this.admin.close(() => resolve()) : resolve()));
    await this.transport.close();
  }

  private onAdminConnection(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const app = new AppConnection(socket, newUuid(), this.logger);
    this.ctx.apps.add(app);
    app.on('frame', (f) => this.handler.onFrame(app, f));
    app.on('close', () => {
      this.ctx.apps.remove(app);
      socket.destroy();
      // nobody is left to answer for this app's dialogs: forget them so later requests get 481
      for (const d of this.ctx.dialogs.all()) if (d.ownerId === app.id) this.ctx.dialogs.delete(d);
    });
  }

  private onMessage(msg: SipRequest | SipResponse, info: ReceivedInfo): void {
    try {
      if (msg instanceof SipRequest) this.inbound.onRequest(msg, info);
      else this.onResponse(msg, info);
    } catch (err) {
      this.logger.error({ err: (err as Error).message, stack: (err as Error).stack }, 'failed to handle SIP message');
    }
  }

  private onResponse(res: SipResponse, info: ReceivedInfo): void {
    const key = clientKey(res);
    const rec = key ? this.ctx.clientByKey.get(key) : undefined;
    if (rec) {
      rec.lastInfo = info;
      rec.txn.onResponse(res);
      return;
    }
    if (this.proxy.forwardResponse(res)) return;
    this.logger.debug({ callId: res.callId, status: res.status }, 'stray response dropped');
  }
}
