/**
 * Start-up failures as one line an operator can act on: which listener could not open and why,
 * instead of `listen EADDRINUSE` with a stack trace that does not say whether SIP or HTTP failed.
 */
import { ConfigError } from '../config/errors.js';

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** A listener as configured: `SIP udp`, `HTTP`, ... and where it was asked to listen. */
export interface ListenerDescription {
  label: string;
  host: string;
  port: number;
  datagram: boolean;
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'is in use',
  EACCES: 'needs more privileges (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

const bare = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');

/** `udp:127.0.0.1:5060` -> the SIP listener it names (IPv6 as `udp:[::1]:5060`). */
export function sipListener(spec: string): ListenerDescription {
  const m = /^(\w+):(\[[^\]]+\]|[^:]+):(\d+)$/.exec(spec);
  if (!m) return { label: `SIP ${spec}`, host: '', port: -1, datagram: false };
  return { label: `SIP ${m[1]}`, host: bare(m[2]!), port: Number(m[3]), datagram: m[1] === 'udp' };
}

/**
 * Names the listener a socket error belongs to, matched by address, port and kind (a UDP bind or
 * a stream listen), or returns the error unchanged when it is not a listening failure.
 */
export function explainListenError(err: unknown, listeners: ListenerDescription[]): unknown {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const reason = e?.code ? REASONS[e.code] : undefined;
  if (!reason || e.address === undefined) return err;
  const datagram = e.syscall === 'bind';
  const hit = listeners.find((l) => l.port === e.port && bare(l.host) === bare(e.address!) && l.datagram === datagram);
  const where = e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
  return new StartupError(hit ? `${hit.label} ${where} ${reason}` : `${where} ${reason}`);
}

/** The one line printed when start-up fails: the operator's message, or the error's own for a bug. */
export function startupFailureLine(err: unknown): string {
  if (err instanceof ConfigError || err instanceof StartupError) return err.message;
  return `failed to start: ${err instanceof Error ? err.message : String(err)}`;
}
