/**
 * The SIP application's connection to its drachtio server (embedded or external): connects,
 * follows drops and srf's own reconnects for health checks, and shuts the link for good.
 */
import { once, type EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { SipLinkState } from './health.js';
import { StartupError } from './startup-errors.js';

/** srf backs off 1.7x per attempt without a ceiling unless told; a drachtio restart should be noticed within seconds. */
const RETRY_MAX_DELAY_MS = 5000;

/** The parts of drachtio-srf 5 used to stop its reconnect loop when the socket is already gone. */
interface SrfWire {
  closing: boolean;
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
}

export class SipLink {
  private readonly state: SipLinkState;
  private closed = false;

  constructor(
    private readonly srf: Srf,
    target: { host: string; port: number; secret: string; embedded: boolean },
    private readonly logger: Logger,
  ) {
    this.state = { connected: false, since: Date.now(), server: `${target.host}:${target.port}`, embedded: target.embedded };
    // srf's typings list only SIP methods; its connection events are plain EventEmitter events
    const events = srf as unknown as EventEmitter;
    events.on('connect', (err?: Error) => {
      if (err || this.state.connected) return;
      if (this.closed) return;
      Object.assign(this.state, { connected: true, since: Date.now() });
    });
    events.on('close', () => {
      if (!this.state.connected) return;
      Object.assign(this.state, { connected: false, since: Date.now() });
      // srf reconnects by itself; until then no call can be taken and /health says so
      if (!this.closed) this.logger.error({ drachtio: this.state.server }, 'lost the connection to the SIP server');
    });
    // an unheard 'error' (a refused reconnect) would kill the process
    events.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'SIP server connection error'));
    events.on('reconnecting', () => this.logger.debug({ drachtio: this.state.server }, 'reconnecting to the SIP server'));
    srf.connect({
      host: target.host,
      port: target.port,
      secret: target.secret,
      reconnect: { retryMaxDelay: RETRY_MAX_DELAY_MS },
    } as Srf.SrfConfig);
  }

  /** Resolves once connected and authenticated; rejects (and stops retrying) if the server is unreachable or refuses the secret. */
  async connected(): Promise<void> {
    try {
      while (!this.state.connected) {
        const [err] = (await once(this.srf as unknown as EventEmitter, 'connect')) as [Error | undefined];
        if (err) throw err;
      }
    } catch (err) {
      this.close();
      const e = err as NodeJS.ErrnoException;
      throw new StartupError(`cannot connect to the drachtio server ${this.state.server} (${e.code ?? e.message})`);
    }
  }

  snapshot(): SipLinkState {
    return { ...this.state };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.state.connected) {
      this.srf.disconnect();
      return;
    }
    // srf.disconnect() asserts on a socket that is gone; stop the reconnect loop instead
    const wire = (this.srf as unknown as { _app?: { client?: { wp?: SrfWire } } })._app?.client?.wp;
    if (!wire) return;
    wire.closing = true;
    if (wire.reconnectVars?.retryTimer) clearTimeout(wire.reconnectVars.retryTimer);
    wire.reconnectVars = { ...wire.reconnectVars, retryTimer: null };
  }
}
