/** Sends a final response through srf, tolerating a request that was already answered. */
import type Srf from 'drachtio-srf';

export function reply(res: Srf.SrfResponse, status: number, reason?: string, headers?: Record<string, string>): void {
  if (res.finalResponseSent) return;
  const opts = headers ? { headers } : {};
  if (reason) res.send(status, reason, opts);
  else res.send(status, opts);
}
