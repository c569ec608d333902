/** Sends a final response through srf, tolerating a request that was already answered. */
import type Srf from 'drachtio-srf';

export type ReplyHeaders = Record<string, string | string[]>;

/**
 * srf keeps headers in a map and comma-joins repeated names, but some headers must not be
 * comma-joined (RFC 3261 §7.3.1: WWW-Authenticate, Proxy-Authenticate), and clients such as sip.js
 * drop a response whose challenges share one line. srf writes the value verbatim into the message
 * text, so several values become separate header lines on either drachtio server.
 */
export function toSrfHeaders(headers: ReplyHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = Array.isArray(value) ? value.join(`\r\n${name}: `) : value;
  }
  return out;
}

export function reply(res: Srf.SrfResponse, status: number, reason?: string, headers?: ReplyHeaders): void {
  if (res.finalResponseSent) return;
  const opts = headers ? { headers: toSrfHeaders(headers) } : {};
  if (reason) res.send(status, reason, opts);
  else res.send(status, opts);
}
