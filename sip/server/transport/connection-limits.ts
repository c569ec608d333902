/**
 * Limits on accepted stream connections (TCP, TLS, WebSocket): deadlines, a cap per source address
 * counted on the raw socket, and the WebSocket Origin rule. A flood of sockets that connect and send
 * nothing, or half a header, must cost little and end soon.
 */
import type http from 'node:http';
import type net from 'node:net';
import type { Logger } from 'pino';
import { bareHost } from './listen-spec.js';

export interface ConnectionLimits {
  /** An accepted connection's first message (and any message begun) must be complete within this (ms). */
  headerTimeoutMs: number;
  /** A connection with no message either way for this long is closed (ms; 0 never). */
  idleTimeoutMs: number;
  /**
   * After a framing error the connection is no longer read but stays writable this long (ms), so
   * the requests that came before the bad frame are still answered; then it is closed. Default
   * 64·T1, a transaction's lifetime.
   */
  framingLingerMs: number;
  /** Connections one source address may hold open at once; more are refused at accept. */
  maxPerSource: number;
  /**
   * Origins a WebSocket handshake may come from. Empty: only handshakes without an Origin (SIP
   * phones) or from a page on the same host name as the listener; `*` allows any origin.
   */
  wsAllowedOrigins: string[];
  /**
   * Asked about an Origin the rule above refuses (the platform admits its visitor widgets'
   * allowed domains this way, which change at run time); true admits the handshake.
   */
  wsOriginCheck?: (origin: string) => boolean | Promise<boolean>;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 900_000,
  framingLingerMs: 32_000,
  maxPerSource: 100,
  wsAllowedOrigins: [],
};

/** Counts open sockets per source address and refuses those beyond the cap at accept. */
export class SourceConnectionCap {
  private readonly open = new Map<string, number>();
  constructor(
    private readonly max: number,
    private readonly log: Logger,
  ) {}

  admit(s: net.Socket): boolean {
    const src = bareHost(s.remoteAddress ?? '');
    const n = this.open.get(src) ?? 0;
    if (this.max > 0 && n >= this.max) {
      this.log.warn({ remote: src, open: n }, 'connection refused: too many from one source');
      s.destroy();
      return false;
    }
    this.open.set(src, n + 1);
    s.once('close', () => {
      const left = (this.open.get(src) ?? 1) - 1;
      if (left <= 0) this.open.delete(src);
      else this.open.set(src, left);
    });
    return true;
  }

  count(src: string): number {
    return this.open.get(bareHost(src)) ?? 0;
  }
}

/** The WebSocket Origin rule described at ConnectionLimits.wsAllowedOrigins. */
export function originAllowed(req: http.IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (allowed.includes('*')) return true;
  if (origin === undefined) return true;
  const o = origin.toLowerCase().replace(/\/$/, '');
  if (allowed.some((a) => a.toLowerCase().replace(/\/$/, '') === o)) return true;
  if (allowed.length > 0) return false;
  let originHost: string;
  try {
    originHost = new URL(origin).hostname;
  } catch {
    return false;
  }
  const hostHeader = req.headers.host ?? '';
  let host: string;
  try {
    host = new URL(`http://${hostHeader}`).hostname;
  } catch {
    return false;
  }
  return host.length > 0 && originHost.toLowerCase() === host.toLowerCase();
}
