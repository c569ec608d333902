/**
 * All SIP transports behind one object: UDP sockets, TCP/TLS servers and WebSocket (RFC 7118)
 * servers, plus the connections they accept or open. It parses what arrives, stamps RFC 3581
 * rport/received on requests, answers unparseable requests with 400 itself, and delivers the
 * rest as 'message' events. Nothing a peer sends can throw out of here.
 */

import { EventEmitter } from 'node:events';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { pino, type Logger } from 'pino';
import type { SipMessage, SipRequest, SipResponse, TransportAddress } from '../message.js';
import { SipParseError, parseMessage } from '../parser.js';
import { serializeMessage } from '../serializer.js';
import { bareHost, remoteKey, type ListenSpec } from './listen-spec.js';
import { buildBadRequestResponse, stampReceivedVia } from './via-stamp.js';
import { UdpPeerSockets } from './udp-peer-sockets.js';
import { SocketConnection, WsConnection, type StreamConnection } from './stream-connection.js';
import { DEFAULT_CONNECTION_LIMITS, SourceConnectionCap, originAllowed, type ConnectionLimits } from './connection-limits.js';
import { DEFAULT_UDP_RECEIVE_BUFFER, DEFAULT_UDP_SEND_BUFFER, isResponseOrAck, sizeUdpBuffers } from './udp-options.js';

export { parseListenSpec, type ListenSpec } from './listen-spec.js';
export { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-limits.js';

export interface ReceivedInfo {
  remote: TransportAddress;
  local: TransportAddress;
  connectionId?: string;
  bytes: number;
}
export interface SendTarget extends TransportAddress {
  connectionId?: string;
}

export interface TransportLayerOptions {
  listen: ListenSpec[];
  /** PEM text or file contents for the tls/wss listeners and outgoing TLS. */
  tls?: { cert: string; key: string; ca?: string; rejectUnauthorized?: boolean };
  maxMessageSize?: number;
  /** WebSocket liveness ping period; a connection that misses one pong is closed (0 disables; default 30 s). */
  wsPingIntervalMs?: number;
  /** SO_RCVBUF/SO_SNDBUF of the UDP sockets (the kernel caps them at net.core.rmem_max/wmem_max). */
  udpReceiveBufferBytes?: number;
  udpSendBufferBytes?: number;
  /** Limits on accepted TCP/TLS/WS connections; see ConnectionLimits. */
  connections?: Partial<ConnectionLimits>;
  /**
   * Asked, before parsing, for each UDP request other than ACK and CANCEL: false drops it unread
   * (load shedding; responses, ACKs and CANCELs always go through).
   */
  admit?: (remoteHost: string) => boolean;
  logger?: Logger;
}

/** `dual`: bound to `::` without IPV6_V6ONLY, so it also carries IPv4 as ::ffff:a.b.c.d. */
interface UdpListener {
  spec: ListenSpec;
  socket: dgram.Socket;
  local: TransportAddress;
  peers: UdpPeerSockets;
  dual: boolean;
}
type Server = net.Server | tls.Server | http.Server | https.Server;
interface StreamListener {
  spec: ListenSpec;
  server: Server;
  wss?: WebSocketServer;
  local: TransportAddress;
}

export class TransportLayer extends EventEmitter<{
  message: [SipRequest | SipResponse, ReceivedInfo];
  'connection-closed': [{ connectionId: string; remote: TransportAddress }];
  error: [Error];
}> {
  private readonly log: Logger;
  private readonly maxSize: number;
  private readonly udp: UdpListener[] = [];
  private readonly streams: StreamListener[] = [];
  private readonly order: (UdpListener | StreamListener)[] = [];
  private readonly connections = new Map<string, StreamConnection>();
  private readonly byRemote = new Map<string, StreamConnection>();
  private readonly connecting = new Map<string, Promise<StreamConnection>>();
  private ephemeralUdp: UdpListener[] = [];
  private closed = false;
  private readonly limits: ConnectionLimits;
  private readonly sources: SourceConnectionCap;

  constructor(private readonly opts: TransportLayerOptions) {
    super();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.maxSize = opts.maxMessageSize ?? 65535;
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...(opts.connections ?? {}) };
    this.sources = new SourceConnectionCap(this.limits.maxPerSource, this.log);
  }

  async start(): Promise<void> {
    for (const spec of this.opts.listen) {
      if (spec.transport === 'udp') {
        const l = await this.bindUdp(spec);
        this.udp.push(l);
        this.order.push(l);
      } else {
        const l = await this.listenStream(spec);
        this.streams.push(l);
        this.order.push(l);
      }
    }
  }

  /** Open TCP/TLS/WS connections (accepted and dialled). */
  connectionCount(): number {
    return this.connections.size;
  }

  /** Closes the accepted or dialled connection to `remote` (a kicked browser's WebSocket); false when none is open. */
  closeConnection(remote: { transport: string; host: string; port: number }): boolean {
    const conn = this.byRemote.get(remoteKey(remote.transport, remote.host, remote.port));
    if (!conn || conn.closed) return false;
    conn.close();
    return true;
  }

  listening(): TransportAddress[] {
    return this.order.map((l) => ({ ...l.local }));
  }

  async send(msg: SipMessage, target: SendTarget): Promise<{ local: TransportAddress; bytes: Buffer }> {
    if (this.closed) throw new Error('transport layer is closed');
    const bytes = serializeMessage(msg);
    const local = await this.sendBytes(bytes, target, msg.isRequest);
    return { local: { ...local }, bytes };
  }

  /** Send serialized bytes (retransmissions); resolves with the local address used. */
  async sendBytes(bytes: Buffer, target: SendTarget, isRequest: boolean): Promise<TransportAddress> {
    if (this.closed) throw new Error('transport layer is closed');
    if (target.transport === 'udp') {
      const l = await this.udpFor(target.host);
      const bare = bareHost(target.host);
      const host = l.dual && net.isIPv4(bare) ? `::ffff:${bare}` : bare;
      // requests go over a connected socket so ICMP errors reach the transaction (see UdpPeerSockets)
      const viaPeer = isRequest && net.isIP(host) !== 0 && (await l.peers.send(bytes, host, target.port));
      if (!viaPeer) {
        await new Promise<void>((resolve, reject) => {
          l.socket.send(bytes, target.port, host, (err) => (err ? reject(err) : resolve()));
        });
      }
      return l.local;
    }
    const conn = await this.connectionFor(target);
    await conn.write(bytes);
    return conn.local;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.connections.values()]) c.close();
    const waits: Promise<void>[] = [];
    for (const l of [...this.udp, ...this.ephemeralUdp]) {
      l.peers.close();
      waits.push(new Promise((r) => l.socket.close(() => r())));
    }
    for (const l of this.streams) {
      l.wss?.close();
      waits.push(new Promise((r) => l.server.close(() => r())));
      // idle HTTP keep-alive sockets on a ws/wss port would otherwise hold close() open
      if (l.server instanceof http.Server || l.server instanceof https.Server) l.server.closeAllConnections();
    }
    await Promise.all(waits);
  }

  /** Listener-level failures go to 'error' only when someone listens: an unheard 'error' would throw. */
  private report(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  // ---- receiving ----

  private deliver(
    data: Buffer,
    remote: TransportAddress,
    local: TransportAddress,
    reply: (b: Buffer) => Promise<void>,
    connectionId?: string,
  ): void {
    let msg: SipRequest | SipResponse;
    try {
      msg = parseMessage(data, { maxSize: this.maxSize });
    } catch (e) {
      this.rejectMalformed(e, data, remote, reply);
      return;
    }
    if (msg.isRequest) stampReceivedVia(msg, remote);
    const info: ReceivedInfo = { remote, local, bytes: data.length };
    if (connectionId !== undefined) info.connectionId = connectionId;
    try {
      this.emit('message', msg, info);
    } catch (e) {
      this.log.error({ err: e, callId: msg.callId }, 'message handler threw');
    }
  }

  private rejectMalformed(e: unknown, data: Buffer, remote: TransportAddress, reply: (b: Buffer) => Promise<void>): void {
    if (!(e instanceof SipParseError)) {
      this.log.error({ err: e, remote }, 'unexpected parser failure; message dropped');
      return;
    }
    const res = buildBadRequestResponse(e, remote);
    this.log.warn({ remote, reason: e.message, bytes: data.length, answered: res !== undefined }, 'malformed SIP message');
    if (!res) return;
    reply(serializeMessage(res)).catch((err: unknown) => this.log.debug({ err, remote }, 'could not send 400'));
  }

  // ---- UDP ----

  /** reuseAddr would let a second server bind a taken port silently; test it exclusively first. */
  private probeUdpPort(spec: ListenSpec, type: 'udp4' | 'udp6', ipv6Only: boolean): Promise<void> {
    if (spec.port === 0) return Promise.resolve();
    const probe = dgram.createSocket({ type, ipv6Only });
    return new Promise((resolve, reject) => {
      probe.once('error', (err) => {
        probe.close();
        reject(err);
      });
      probe.bind(spec.port, spec.host, () => probe.close(() => resolve()));
    });
  }

  private async bindUdp(spec: ListenSpec): Promise<UdpListener> {
    const type = net.isIPv6(spec.host) ? 'udp6' : 'udp4';
    const dual = type === 'udp6' && spec.host === '::';
    await this.probeUdpPort(spec, type, type === 'udp6' && !dual);
    // reuseAddr lets the per-destination connected sockets share this port (UdpPeerSockets)
    const socket = dgram.createSocket({ type, ipv6Only: type === 'udp6' && !dual, reuseAddr: true });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(spec.port, spec.host, () => {
        socket.off('error', reject);
        sizeUdpBuffers(
          socket,
          `${spec.host}:${spec.port}`,
          this.opts.udpReceiveBufferBytes ?? DEFAULT_UDP_RECEIVE_BUFFER,
          this.opts.udpSendBufferBytes ?? DEFAULT_UDP_SEND_BUFFER,
          this.log,
        );
        const addr = socket.address();
        const local: TransportAddress = { transport: 'udp', host: bareHost(addr.address), port: addr.port };
        const l: UdpListener = {
          spec,
          socket,
          local,
          dual,
          peers: new UdpPeerSockets(
            { host: addr.address, port: addr.port, type, ipv6Only: type === 'udp6' && !dual },
            (data, rinfo) => this.onDatagram(l, data, rinfo),
            this.log,
          ),
        };
        socket.on('error', (err) => {
          this.log.warn({ err, local: l.local }, 'UDP socket error');
          this.report(err);
        });
        socket.on('message', (data, rinfo) => this.onDatagram(l, data, rinfo));
        resolve(l);
      });
    });
  }

  private onDatagram(l: UdpListener, data: Buffer, rinfo: dgram.RemoteInfo): void {
    // keep-alives (RFC 5626 §4.4.1 CRLF, also bare whitespace some phones send) carry no message
    let i = 0;
    while (i < data.length && (data[i] === 0x0d || data[i] === 0x0a || data[i] === 0x20 || data[i] === 0x00)) i++;
    if (i === data.length) return;
    if (this.opts.admit && !isResponseOrAck(data, i) && !this.opts.admit(bareHost(rinfo.address))) return;
    const remote: TransportAddress = { transport: 'udp', host: bareHost(rinfo.address), port: rinfo.port };
    const reply = (b: Buffer): Promise<void> =>
      new Promise((resolve, reject) => {
        l.socket.send(b, rinfo.port, rinfo.address, (err) => (err ? reject(err) : resolve()));
      });
    this.deliver(data, remote, l.local, reply);
  }

  /** The UDP socket to send from: same family, a loopback listener for loopback targets if there is one. */
  private async udpFor(host: string): Promise<UdpListener> {
    const h = bareHost(host);
    const v6 = net.isIPv6(h);
    const listeners = [...this.udp, ...this.ephemeralUdp];
    let all = listeners.filter((l) => net.isIPv6(l.local.host) === v6);
    if (all.length === 0 && !v6) all = listeners.filter((l) => l.dual);
    const loop = (a: string): boolean => a === '::1' || a.startsWith('127.');
    const pick = all.find((l) => loop(l.local.host) === loop(h)) ?? all.find((l) => !loop(l.local.host)) ?? all[0];
    if (pick) return pick;
    const l = await this.bindUdp({ transport: 'udp', host: v6 ? '::' : '0.0.0.0', port: 0 });
    this.ephemeralUdp.push(l);
    return l;
  }

  // ---- TCP, TLS, WS, WSS ----

  private listenStream(spec: ListenSpec): Promise<StreamListener> {
    const secure = spec.transport === 'tls' || spec.transport === 'wss';
    if (secure && !this.opts.tls)
      return Promise.reject(new Error(`${spec.transport} listener needs a certificate (tls.cert/tls.key)`));
    const lim = this.limits;
    const tlsOpts = { cert: this.opts.tls?.cert, key: this.opts.tls?.key, handshakeTimeout: lim.headerTimeoutMs || 120_000 };
    const timeouts = { headerTimeoutMs: lim.headerTimeoutMs, idleTimeoutMs: lim.idleTimeoutMs, lingerMs: lim.framingLingerMs };
    let server: Server;
    let wss: WebSocketServer | undefined;
    if (spec.transport === 'tcp' || spec.transport === 'tls') {
      const onSocket = (s: net.Socket): void => {
        if (!s.destroyed) this.adopt(new SocketConnection(spec.transport as 'tcp' | 'tls', s, this.maxSize, timeouts, true));
      };
      server = spec.transport === 'tcp' ? net.createServer(onSocket) : tls.createServer(tlsOpts, onSocket);
      if (spec.transport === 'tls') server.on('tlsClientError', (err) => this.log.debug({ err }, 'TLS handshake failed'));
    } else {
      const reject426 = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
        res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end('SIP over WebSocket only\n');
      };
      server = spec.transport === 'ws' ? http.createServer(reject426) : https.createServer(tlsOpts, reject426);
      wss = new WebSocketServer({
        noServer: true,
        maxPayload: this.maxSize,
        handleProtocols: (p) => (p.has('sip') ? 'sip' : false),
      });
      const ws = wss;
      // Node checks its own headersTimeout only every 30 s: a handshake gets a deadline of its own
      const handshakes = new WeakMap<net.Socket, NodeJS.Timeout>();
      if (lim.headerTimeoutMs > 0) {
        // on wss the request arrives on the TLS socket, not the raw one 'connection' sees
        server.on(spec.transport === 'wss' ? 'secureConnection' : 'connection', (s: net.Socket) => {
          const timer = setTimeout(() => s.destroy(), lim.headerTimeoutMs);
          timer.unref();
          handshakes.set(s, timer);
          s.once('close', () => clearTimeout(timer));
        });
      }
      server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
        clearTimeout(handshakes.get(req.socket));
        void this.admitOrigin(req).then(
          (ok) => {
            if (socket.destroyed) return;
            if (ok) return upgrade(req, socket, head);
            this.log.info(
              { origin: req.headers.origin, remote: req.socket.remoteAddress },
              'WebSocket handshake from a foreign origin refused',
            );
            socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          },
          (err: unknown) => {
            this.log.warn({ err }, 'WebSocket origin check failed');
            socket.destroy();
          },
        );
      });
      const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
        const protos = String(req.headers['sec-websocket-protocol'] ?? '')
          .split(',')
          .map((p) => p.trim().toLowerCase());
        if (!protos.includes('sip')) {
          socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        ws.handleUpgrade(req, socket, head, (client: WebSocket) => {
          const s = req.socket;
          const t = spec.transport as 'ws' | 'wss';
          this.adopt(
            new WsConnection(
              t,
              client,
              { transport: t, host: bareHost(s.remoteAddress ?? ''), port: s.remotePort ?? 0 },
              { transport: t, host: bareHost(s.localAddress ?? ''), port: s.localPort ?? 0 },
              this.opts.wsPingIntervalMs ?? 30_000,
              lim.idleTimeoutMs,
            ),
          );
        });
      };
      server.on('clientError', (_err, socket) => socket.destroy());
    }
    // counted on the raw socket, before TLS or the WebSocket handshake: a flood of idle sockets costs nothing
    server.on('connection', (s: net.Socket) => this.sources.admit(s));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(spec.port, spec.host, () => {
        server.off('error', reject);
        server.on('error', (err) => {
          this.log.warn({ err }, 'listener error');
          this.report(err);
        });
        const a = server.address() as net.AddressInfo;
        resolve({ spec, server, wss, local: { transport: spec.transport, host: bareHost(a.address), port: a.port } });
      });
    });
  }

  /** The static Origin rule, then the platform's own (its widgets' allowed domains) for what that refuses. */
  private async admitOrigin(req: http.IncomingMessage): Promise<boolean> {
    const lim = this.limits;
    if (originAllowed(req, lim.wsAllowedOrigins)) return true;
    const origin = req.headers.origin;
    return origin !== undefined && lim.wsOriginCheck !== undefined && (await lim.wsOriginCheck(origin));
  }

  private adopt(conn: StreamConnection): void {
    if (this.closed) {
      conn.close();
      return;
    }
    this.connections.set(conn.id, conn);
    this.byRemote.set(remoteKey(conn.transport, conn.remote.host, conn.remote.port), conn);
    conn.on('message', (data) => this.deliver(data, { ...conn.remote }, { ...conn.local }, (b) => conn.write(b), conn.id));
    conn.on('error', (err) => this.log.debug({ err, connectionId: conn.id }, 'connection error'));
    conn.once('close', () => {
      this.connections.delete(conn.id);
      const key = remoteKey(conn.transport, conn.remote.host, conn.remote.port);
      if (this.byRemote.get(key) === conn) this.byRemote.delete(key);
      try {
        this.emit('connection-closed', { connectionId: conn.id, remote: { ...conn.remote } });
      } catch (err) {
        this.log.error({ err }, 'connection-closed handler threw');
      }
    });
  }

  private connectionFor(target: SendTarget): Promise<StreamConnection> {
    if (target.connectionId !== undefined) {
      const c = this.connections.get(target.connectionId);
      if (c && !c.closed) return Promise.resolve(c);
    }
    const key = remoteKey(target.transport, target.host, target.port);
    const existing = this.byRemote.get(key);
    if (existing && !existing.closed) return Promise.resolve(existing);
    if (target.transport === 'ws' || target.transport === 'wss') {
      return Promise.reject(new Error(`no ${target.transport} connection to ${target.host}:${target.port}`));
    }
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const p = this.connectOut(target.transport as 'tcp' | 'tls', bareHost(target.host), target.port).finally(() =>
      this.connecting.delete(key),
    );
    this.connecting.set(key, p);
    return p;
  }

  private connectOut(transport: 'tcp' | 'tls', host: string, port: number): Promise<StreamConnection> {
    return new Promise((resolve, reject) => {
      const t = this.opts.tls;
      const socket =
        transport === 'tcp'
          ? net.connect({ host, port })
          : tls.connect({
              host,
              port,
              servername: net.isIP(host) ? undefined : host,
              ca: t?.ca,
              cert: t?.cert,
              key: t?.key,
              rejectUnauthorized: t?.rejectUnauthorized ?? true,
            });
      const ready = transport === 'tcp' ? 'connect' : 'secureConnect';
      const timer = setTimeout(() => socket.destroy(new Error(`connect to ${host}:${port} timed out`)), 10_000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once(ready, () => {
        clearTimeout(timer);
        if (this.closed) {
          socket.destroy();
          reject(new Error('transport layer is closed'));
          return;
        }
        const conn = new SocketConnection(transport, socket, this.maxSize);
        // the connection is keyed by the address we dialled, which is how responses and retries name it
        this.adopt(conn);
        this.byRemote.set(remoteKey(transport, host, port), conn);
        resolve(conn);
      });
    });
  }
}
