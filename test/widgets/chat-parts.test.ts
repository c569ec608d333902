/** The visitor chat's small parts alone: email-token verification, content sniffing, file names, the attachment folder's names. */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { signEmailToken, verifyEmailToken } from '../../src/widgets/email-token.js';
import { AttachmentStore, cleanFileName, declaredTypeMatches, sniffAttachment } from '../../src/widgets/attachments.js';

const SECRET = 'wsec_test';
const NOW = Date.parse('2026-12-02T12:00:00Z');
const exp = NOW / 1000 + 600;

t.test('email tokens', async (t) => {
  const token = signEmailToken(SECRET, ' Jane@Example.COM ', exp);
  t.same(verifyEmailToken(SECRET, token, NOW), { ok: true, email: 'jane@example.com', expiresAt: exp * 1000 });
  t.match(verifyEmailToken('wsec_other', token, NOW), { ok: false, reason: 'signature' });
  t.match(verifyEmailToken(SECRET, token, exp * 1000), { ok: false, reason: 'expired' }, 'expired at its exp');
  t.match(verifyEmailToken(SECRET, signEmailToken(SECRET, 'a@b.co', NOW / 1000 + 86401), NOW), { reason: 'too_far_ahead' });
  t.match(
    verifyEmailToken(SECRET, signEmailToken(SECRET, 'a@b.co', NOW / 1000 + 86400), NOW),
    { ok: true },
    '24 h ahead is fine',
  );
  t.match(verifyEmailToken(SECRET, signEmailToken(SECRET, 'not an email', exp), NOW), { reason: 'malformed' });
  t.match(verifyEmailToken(SECRET, `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`, NOW), { reason: 'signature' });
  t.match(verifyEmailToken(SECRET, token.toUpperCase(), NOW), { ok: false });
  for (const bad of ['', 'a.b.c', `${token}.x`, token.replace(/\.\d+\./, '.-5.'), 'x'.repeat(600)])
    t.match(verifyEmailToken(SECRET, bad, NOW), { ok: false, reason: 'malformed' }, `malformed: ${bad.slice(0, 20)}`);
});

t.test('sniffing and declared types', async (t) => {
  t.equal(sniffAttachment(Buffer.from('GIF89a\x01\x00', 'latin1')), 'image/gif');
  t.equal(sniffAttachment(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')])), 'image/webp');
  t.equal(
    sniffAttachment(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt ')])),
    undefined,
    'a WAV is not a WebP',
  );
  t.equal(sniffAttachment(Buffer.from('héllo wörld\r\n\tok', 'utf8')), 'text/plain');
  t.equal(sniffAttachment(Buffer.from([0x68, 0x69, 0xff, 0xfe])), undefined, 'invalid UTF-8');
  t.equal(sniffAttachment(Buffer.from('hi\u0000there')), undefined, 'a NUL byte');
  t.equal(sniffAttachment(Buffer.from('\u001b[31mred')), undefined, 'terminal escapes');
  t.ok(declaredTypeMatches(undefined, 'image/png'));
  t.ok(declaredTypeMatches('image/PNG; charset=x', 'image/png'));
  t.notOk(declaredTypeMatches('image/png', 'application/pdf'));
  t.notOk(declaredTypeMatches('text/html', 'text/plain'));
});

t.test('file names and the attachment folder', async (t) => {
  t.equal(cleanFileName('../../etc/passwd'), 'passwd');
  t.equal(cleanFileName('C:\\Users\\me\\shot.png'), 'shot.png');
  t.equal(cleanFileName('..'), 'attachment');
  t.equal(cleanFileName('.htaccess'), 'htaccess');
  t.equal(cleanFileName('a"b\r\nc.txt'), 'abc.txt');
  t.equal(cleanFileName(undefined), 'attachment');
  t.equal(cleanFileName('x'.repeat(300)).length, 200);

  const root = mkdtempSync(join(tmpdir(), 'sb-att-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const store = new AttachmentStore(join(root, 'uploads'));
  const name = await store.save(Buffer.from('one'));
  t.match(name, /^[0-9a-f]{32}$/);
  t.same(await store.read(name), Buffer.from('one'));
  t.not(await store.save(Buffer.from('one')), name, 'the same bytes get a new name');
  for (const bad of ['../secret', '/etc/passwd', `${name}/..`, name.toUpperCase(), ''])
    await t.rejects(store.read(bad), /not an attachment storage name/, `refused: ${bad}`);
  await store.remove(name);
  t.notOk(existsSync(join(root, 'uploads', name)));
  t.equal(readdirSync(join(root, 'uploads')).length, 1);
});
