/** With `mail.smtp` set, the sign-up code travels by SMTP (to a loopback sink) and confirms the account. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Store } from '../../src/store/index.js';
import { AccountService } from '../../src/accounts/account-service.js';
import { createMailSender, SmtpMailSender } from '../../src/mail/sender.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

t.test('sign-up code by SMTP', async (t) => {
  const sink = await startSmtpSink(t);
  const dir = mkdtempSync(join(tmpdir(), 'sb-mail-'));
  const store = await Store.open({ dataDir: dir });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const logger = pino({ level: 'silent' });
  const mail = createMailSender(
    { host: '127.0.0.1', port: sink.port, secure: false, user: 'sb', pass: 'secret', from: 'Switchboard <noreply@example.com>' },
    logger,
  );
  t.teardown(() => mail.close());
  t.ok(mail instanceof SmtpMailSender, 'mail.smtp selects the SMTP sender');
  const accounts = new AccountService({ store, mail, logger, codeTtlMinutes: 30, maxCodeAttempts: 5 });
  const got = sink.next();
  await accounts.signup({ email: 'grace@example.com', password: 'password1', name: 'Grace' });
  const msg = await got;
  t.equal(msg.from, 'noreply@example.com');
  t.same(msg.to, ['grace@example.com']);
  t.equal(msg.auth, '\0sb\0secret', 'authenticated with the configured user');
  t.match(msg.data, /Subject: Your Switchboard confirmation code/);
  const code = msg.data.match(/code is ([0-9]{6})/)?.[1];
  t.ok(code, 'the code is in the message');
  const { user, token } = await accounts.confirm({ email: 'grace@example.com', code: code! });
  t.equal(user.confirmed, true);
  t.equal((await store.users.authenticate(token))?.email, 'grace@example.com');
});
