import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { USER_TOKEN_PREFIX, displayPrefix, newSecret, nowIso, sha256Hex } from '../secrets.js';

export interface User {
  id: number;
  email: string;
  name: string;
  passwordHash: string;
  confirmed: boolean;
  confirmCodeHash: string | null;
  confirmExpiresAt: string | null;
  confirmAttempts: number;
  createdAt: string;
}

type Row = {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  confirmed: number;
  confirm_code_hash: string | null;
  confirm_expires_at: string | null;
  confirm_attempts: number;
  created_at: string;
};
const toUser = (r: Row): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  passwordHash: r.password_hash,
  confirmed: r.confirmed === 1,
  confirmCodeHash: r.confirm_code_hash,
  confirmExpiresAt: r.confirm_expires_at,
  confirmAttempts: r.confirm_attempts,
  createdAt: r.created_at,
});

/** User accounts, their pending confirmation code, and their tokens. Emails are stored lower-cased. */
export class UserRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async create(u: { email: string; name: string; passwordHash: string; codeHash: string; codeExpiresAt: string }): Promise<User> {
    const r = await this.db
      .insertInto('users')
      .values({
        email: u.email.toLowerCase(),
        name: u.name,
        password_hash: u.passwordHash,
        confirmed: 0,
        confirm_code_hash: u.codeHash,
        confirm_expires_at: u.codeExpiresAt,
        confirm_attempts: 0,
        created_at: nowIso(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toUser(r);
  }

  async get(id: number): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toUser(r);
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    return r && toUser(r);
  }

  /** A fresh code for an unconfirmed account (sign-up repeated): new hash, expiry, attempts reset. */
  async resetPending(
    id: number,
    p: { name: string; passwordHash: string; codeHash: string; codeExpiresAt: string },
  ): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        name: p.name,
        password_hash: p.passwordHash,
        confirm_code_hash: p.codeHash,
        confirm_expires_at: p.codeExpiresAt,
        confirm_attempts: 0,
      })
      .where('id', '=', id)
      .where('confirmed', '=', 0)
      .execute();
  }

  /**
   * Spends one of the code's attempts before it is checked, atomically, so parallel guesses cannot
   * exceed `max`. False when none are left. A successful confirmation resets the count.
   */
  async takeAttempt(id: number, max: number): Promise<boolean> {
    const res = await this.db
      .updateTable('users')
      .set((eb) => ({ confirm_attempts: eb('confirm_attempts', '+', 1) }))
      .where('id', '=', id)
      .where('confirm_attempts', '<', max)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async markConfirmed(id: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ confirmed: 1, confirm_code_hash: null, confirm_expires_at: null, confirm_attempts: 0 })
      .where('id', '=', id)
      .execute();
  }

  async createToken(userId: number): Promise<string> {
    const token = newSecret(USER_TOKEN_PREFIX);
    await this.db
      .insertInto('user_tokens')
      .values({ user_id: userId, token_hash: sha256Hex(token), prefix: displayPrefix(token), created_at: nowIso() })
      .execute();
    return token;
  }

  /** The confirmed user owning this live token, if any; marks the token used. */
  async authenticate(token: string): Promise<User | undefined> {
    const t = await this.db
      .selectFrom('user_tokens')
      .select(['id', 'user_id', 'last_used_at'])
      .where('token_hash', '=', sha256Hex(token))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!t) return undefined;
    if (!t.last_used_at || Date.parse(t.last_used_at) < Date.now() - 60_000) {
      await this.db.updateTable('user_tokens').set({ last_used_at: nowIso() }).where('id', '=', t.id).execute();
    }
    const u = await this.get(t.user_id);
    return u?.confirmed ? u : undefined;
  }

  async revokeTokens(userId: number): Promise<void> {
    await this.db
      .updateTable('user_tokens')
      .set({ revoked_at: nowIso() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
  }
}
