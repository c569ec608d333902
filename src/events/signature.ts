/**
 * Webhook signatures (the Phonevoice scheme): `t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{raw body}">`
 * keyed with the webhook's secret. Sent as `Switchboard-Signature` and, with the same value, as
 * `Phonevoice-Signature` so receivers written for the seed work unchanged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADERS = ['Switchboard-Signature', 'Phonevoice-Signature'] as const;

export function signatureHeader(secret: string, rawBody: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** Receiver-side check (tests, tooling): constant time, with an optional maximum age in seconds. */
export function verifySignature(secret: string, rawBody: string, header: string, toleranceSeconds?: number): boolean {
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i), p.slice(i + 1)] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t)) return false;
  if (toleranceSeconds !== undefined && Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureHeader(secret, rawBody, t).split('v1=')[1]!, 'hex');
  const got = Buffer.from(v1, 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}
