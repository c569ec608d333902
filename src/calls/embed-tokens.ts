/**
 * Embed URL tokens (`/embed?t=<token>`): `<session id>.<exp>.<sig>` where sig is
 * HMAC-SHA256(server key, "embed.<id>.<project>.<call>.<role>.<exp>") in base64url. The signature
 * binds the token to its project, call and role: a token cannot be moved to another call or
 * promoted from `listen` to `talk`, and a guessed session id is worthless without the key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const EMBED_ROLES = ['agent', 'talk', 'listen'] as const;
export type EmbedRole = (typeof EMBED_ROLES)[number];

export interface EmbedClaims {
  id: string;
  projectId: number;
  callId: number;
  role: EmbedRole;
  /** Unix seconds. */
  exp: number;
}

const TOKEN = /^([0-9a-f]{32})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export class EmbedTokens {
  constructor(private readonly secret: string) {}

  sign(c: EmbedClaims): string {
    return `${c.id}.${c.exp}.${this.sig(c)}`;
  }

  /** The session id and expiry a token names, before its signature is checked (that needs the session's claims). */
  parse(token: string): { id: string; exp: number; sig: string } | undefined {
    const m = TOKEN.exec(token);
    return m ? { id: m[1]!, exp: Number(m[2]), sig: m[3]! } : undefined;
  }

  /** Constant-time check that `sig` is ours for exactly these claims. */
  verify(c: EmbedClaims, sig: string): boolean {
    // Compared as text: base64url decoding ignores the last character's spare bits, so two
    // spellings would decode alike and a token would not be one string.
    const expected = Buffer.from(this.sig(c));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sig(c: EmbedClaims): string {
    return createHmac('sha256', this.secret)
      .update(`embed.${c.id}.${c.projectId}.${c.callId}.${c.role}.${c.exp}`)
      .digest('base64url');
  }
}
