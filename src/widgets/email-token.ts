/**
 * Aurion's HMAC-signed email tokens: the customer's own server vouches for a visitor's email, so a
 * visitor cannot open a chat session as somebody else. The recipe (the README shows it in shell and
 * Node):
 *
 *   payload     = base64url(email) + "." + exp        exp: Unix seconds, at most 24 h ahead
 *   email_token = payload + "." + hex(HMAC-SHA256(key = the widget's secret, message = payload))
 *
 * The expiry bounds what a token copied out of a page is worth; regenerating the widget's key
 * voids every token at once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Tokens signed further ahead than this are refused: they would outlive any page that embeds them. */
export const EMAIL_TOKEN_MAX_AHEAD_S = 24 * 3600;

const EMAIL = /^[^\s@"<>()[\]\\,;:]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;
const SHAPE = /^([A-Za-z0-9_-]{4,400})\.([0-9]{1,12})\.([0-9a-f]{64})$/;

export type EmailTokenCheck =
  | { ok: true; email: string; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'too_far_ahead' };

const sign = (secret: string, payload: string): string => createHmac('sha256', secret).update(payload).digest('hex');

/** The recipe as code: what a customer's server computes (and what the tests use). */
export function signEmailToken(secret: string, email: string, expUnixSeconds: number): string {
  const payload = `${Buffer.from(email, 'utf8').toString('base64url')}.${expUnixSeconds}`;
  return `${payload}.${sign(secret, payload)}`;
}

/** Verifies a token against the widget's secret; the email comes back trimmed and in lower case. */
export function verifyEmailToken(secret: string, token: string, nowMs = Date.now()): EmailTokenCheck {
  const m = SHAPE.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const [, encoded, exp, mac] = m as unknown as [string, string, string, string];
  const expected = Buffer.from(sign(secret, `${encoded}.${exp}`), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(mac, 'hex'))) return { ok: false, reason: 'signature' };
  const expiresAt = Number(exp) * 1000;
  if (expiresAt <= nowMs) return { ok: false, reason: 'expired' };
  if (expiresAt > nowMs + EMAIL_TOKEN_MAX_AHEAD_S * 1000) return { ok: false, reason: 'too_far_ahead' };
  const email = Buffer.from(encoded, 'base64url').toString('utf8').trim().toLowerCase();
  // signed by the right key but not an address: the customer's bug, not an attack
  if (email.length > 254 || !EMAIL.test(email)) return { ok: false, reason: 'malformed' };
  return { ok: true, email, expiresAt };
}
