/** Bearer secrets: random, shown once, stored only as SHA-256 (a lookup by hash leaks nothing about the secret). */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const PROJECT_TOKEN_PREFIX = 'sbp_';
export const USER_TOKEN_PREFIX = 'sbu_';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** `prefix` + 32 bytes of base64url. */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** What a listing may show of a secret: its kind and first characters. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, 10);
}

/** Does `secret` hash to `storedHash` (hex SHA-256)? Constant-time in the hash comparison. */
export function matchesHash(secret: string, storedHash: string | null | undefined): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(sha256Hex(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export const nowIso = (): string => new Date().toISOString();
