/**
 * User accounts: sign-up sends a one-time code, confirmation trades it for a user token and a
 * personal project. Codes are stored hashed, expire, and die after a few wrong guesses.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store, User } from '../store/index.js';
import type { MailSender } from '../mail/sender.js';
import { hashPassword } from './passwords.js';

export type AccountErrorKind = 'invalid' | 'exhausted';

export class AccountError extends Error {
  constructor(
    readonly kind: AccountErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

export interface AccountOptions {
  store: Store;
  mail: MailSender;
  logger: Logger;
  codeTtlMinutes: number;
  maxCodeAttempts: number;
}

const codeHash = (userId: number, code: string): string => createHash('sha256').update(`${userId}:${code}`).digest('hex');

export class AccountService {
  constructor(private readonly opts: AccountOptions) {}

  /** Creates (or, while unconfirmed, refreshes) an account and mails a fresh 6-digit code. */
  async signup(input: { email: string; password: string; name?: string }): Promise<User> {
    const { store } = this.opts;
    const email = input.email.trim().toLowerCase();
    const name = input.name?.trim() || email.split('@')[0]!;
    const existing = await store.users.findByEmail(email);
    if (existing?.confirmed) throw new AccountError('invalid', 'email: already registered');
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expires = new Date(Date.now() + this.opts.codeTtlMinutes * 60_000).toISOString();
    const passwordHash = await hashPassword(input.password);
    let user: User;
    if (existing) {
      await store.users.resetPending(existing.id, {
        name,
        passwordHash,
        codeHash: codeHash(existing.id, code),
        codeExpiresAt: expires,
      });
      user = (await store.users.get(existing.id))!;
    } else {
      // The hash binds the code to the id, which exists only after the insert: store a placeholder first.
      user = await store.users.create({ email, name, passwordHash, codeHash: '', codeExpiresAt: expires });
      await store.users.resetPending(user.id, { name, passwordHash, codeHash: codeHash(user.id, code), codeExpiresAt: expires });
    }
    await this.opts.mail.send({
      to: email,
      subject: 'Your Switchboard confirmation code',
      text: `Your confirmation code is ${code}. It expires in ${this.opts.codeTtlMinutes} minutes.`,
    });
    this.opts.logger.info({ userId: user.id }, 'sign-up: confirmation code sent');
    return user;
  }

  /** Checks the code; on success confirms the account, gives it a project and returns a new user token. */
  async confirm(input: { email: string; code: string }): Promise<{ user: User; token: string }> {
    const { store } = this.opts;
    const user = await store.users.findByEmail(input.email.trim());
    // One message for unknown, confirmed and wrong: the endpoint must not reveal which accounts exist.
    const invalid = new AccountError('invalid', 'code: invalid or expired confirmation code');
    if (!user || user.confirmed || !user.confirmCodeHash || !user.confirmExpiresAt) throw invalid;
    if (Date.parse(user.confirmExpiresAt) < Date.now()) throw invalid;
    const exhausted = new AccountError('exhausted', 'code: too many wrong codes; sign up again for a new one');
    if (!(await store.users.takeAttempt(user.id, this.opts.maxCodeAttempts))) throw exhausted;
    const expected = Buffer.from(user.confirmCodeHash, 'hex');
    const actual = Buffer.from(codeHash(user.id, input.code.trim()), 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      // The last allowed attempt failing says so at once rather than on the next try.
      if (user.confirmAttempts + 1 >= this.opts.maxCodeAttempts) throw exhausted;
      throw invalid;
    }
    await store.users.markConfirmed(user.id);
    if ((await store.projects.ofUser(user.id)).length === 0) {
      const project = await store.projects.create(`${user.name}'s project`);
      await store.projects.addMember(project.id, user.id, 'owner');
    }
    const token = await store.users.createToken(user.id);
    this.opts.logger.info({ userId: user.id }, 'account confirmed');
    return { user: (await store.users.get(user.id))!, token };
  }
}
