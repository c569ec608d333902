/** The token principal cache: expiry, the bound, revocations here and changes made by other processes. */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { PrincipalCache } from '../../src/store/principal-cache.js';
import { ChangePoller } from '../../src/store/change-poller.js';
import { PRINCIPALS_STALE_MS } from '../../src/store/database.js';
import { forEachDialect } from '../helpers/stores.js';
import { nodeChildEnv } from '../helpers/processes.js';
import { sleep, untilOrThrow } from '../helpers/wait.js';

t.setTimeout(120000);
const adminJs = join(dirname(fileURLToPath(import.meta.url)), '../../src/admin.js');

const principal = (id: number) => ({ token: { id } });

function cache(capacity = 3) {
  const clock: { now: number; version: number | undefined } = { now: 1000, version: 1 };
  const c = new PrincipalCache<{ token: { id: number } }>({
    ttlMs: 100,
    capacity,
    changeCounter: () => clock.version,
    now: () => clock.now,
  });
  return { c, clock };
}

t.test('an entry is served until its time is up', async (t) => {
  const { c, clock } = cache();
  c.set('h1', principal(1), c.ticket());
  clock.now += 99;
  t.same(c.get('h1'), principal(1));
  clock.now += 1;
  t.equal(c.get('h1'), undefined, 'expired');
  t.equal(c.size, 0, 'and forgotten');
});

t.test('another connection committing empties the cache', async (t) => {
  const { c, clock } = cache();
  c.set('h1', principal(1), c.ticket());
  clock.version = clock.version! + 1;
  t.equal(c.get('h1'), undefined);
  t.equal(c.size, 0);
});

t.test('a revocation here drops the token, and a lookup that began before it keeps nothing', async (t) => {
  const { c } = cache();
  c.set('h1', principal(1), c.ticket());
  c.set('h2', principal(2), c.ticket());
  const before = c.ticket();
  c.dropToken(1);
  t.equal(c.get('h1'), undefined);
  t.same(c.get('h2'), principal(2), 'other tokens stay');
  c.set('h1', principal(1), before);
  t.equal(c.get('h1'), undefined, 'a read from before the revocation is not kept');
});

t.test('a lookup that read before another process committed keeps nothing', async (t) => {
  const { c, clock } = cache();
  const before = c.ticket();
  clock.version = clock.version! + 1;
  c.set('h1', principal(1), before);
  t.equal(c.get('h1'), undefined);
});

t.test('bounded: the oldest entry leaves first', async (t) => {
  const { c } = cache(2);
  c.set('h1', principal(1), c.ticket());
  c.set('h2', principal(2), c.ticket());
  c.set('h3', principal(3), c.ticket());
  t.equal(c.size, 2);
  t.equal(c.get('h1'), undefined);
  t.same(c.get('h3'), principal(3));
});

t.test('while the change counter cannot be told, nothing is served or kept', async (t) => {
  const { c, clock } = cache();
  c.set('h1', principal(1), c.ticket());
  t.same(c.get('h1'), principal(1));
  clock.version = undefined;
  t.equal(c.get('h1'), undefined, 'not served while the counter is unknown');
  c.set('h2', principal(2), c.ticket());
  clock.version = 1;
  t.equal(c.get('h2'), undefined, 'a read made meanwhile was not kept');
  t.same(c.get('h1'), principal(1), 'the same counter again: what was kept before still holds');
});

function poller() {
  const clock = { now: 0 };
  const answers: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];
  const p = new ChangePoller({
    query: () => new Promise<number>((resolve, reject) => answers.push({ resolve, reject })),
    intervalMs: 60_000,
    staleMs: 1000,
    now: () => clock.now,
  });
  t.teardown(() => p.stop());
  return { p, clock, answers };
}

t.test('a polled counter is trusted for staleMs from when its query was sent', async (t) => {
  const { p, clock, answers } = poller();
  t.equal(p.read(), undefined, 'nothing read yet (the first read starts the polling)');
  t.equal(answers.length, 1, 'one query sent');
  clock.now = 400;
  answers[0]!.resolve(7);
  await p.poll();
  t.equal(p.read(), 7);
  clock.now = 1000;
  t.equal(p.read(), 7, 'staleMs after the query was sent');
  clock.now = 1001;
  t.equal(p.read(), undefined, 'older than that: not vouched for');
  const next = p.poll();
  clock.now = 2500;
  answers[1]!.resolve(8);
  await next;
  t.equal(p.read(), undefined, 'an answer that took longer than staleMs vouches for nothing');
  clock.now = 2600;
  const failed = p.poll();
  answers[2]!.reject(new Error('connection lost'));
  await failed;
  t.equal(p.read(), undefined, 'a failed read vouches for nothing');
  const ok = p.poll();
  answers[3]!.resolve(8);
  await ok;
  t.equal(p.read(), 8);
});

t.test('a stopped poller stops polling and keeps no late answer', async (t) => {
  const { p, answers } = poller();
  p.read();
  const stopping = p.stop();
  answers[0]!.resolve(1);
  await stopping;
  t.equal(p.read(), undefined);
  t.equal(answers.length, 1, 'reading after stop starts nothing');
});

/**
 * The server keeps who a token is (the same frozen principal answers every request), and a token
 * the admin CLI revokes from its own process is refused within the bound: at once on SQLite
 * (data_version), within PRINCIPALS_STALE_MS on PostgreSQL (the polled, trigger-bumped counter).
 */
forEachDialect(t, 'principals are cached, and a revocation by another process ends them within the bound', async (t, target) => {
  const s = await target.open();
  const p = await s.projects.create('acme');
  const { token, record } = await s.apiTokens.create(p.id);
  const { token: other } = await s.apiTokens.create(p.id);
  const first = await s.apiTokens.principal(token);
  t.ok(first, 'the token is live');
  // On PostgreSQL the cache serves once the first read of the counter came back.
  await untilOrThrow('a cached principal', async () => {
    const a = await s.apiTokens.principal(token);
    return a === (await s.apiTokens.principal(token));
  });
  const cached = await s.apiTokens.principal(token);
  t.equal(await s.apiTokens.principal(token), cached, 'a later request is answered from the cache (the same principal)');
  t.equal((await s.apiTokens.principal(other))?.project.id, p.id);

  const env = {
    ...nodeChildEnv(),
    DATA_DIR: target.options.dataDir,
    LOG_LEVEL: 'silent',
    ...(target.options.url ? { DATABASE_URL: target.options.url } : {}),
  };
  const out = await promisify(execFile)(process.execPath, [adminJs, 'token', 'revoke', String(record.id)], { env });
  const revokedAt = Date.now();
  t.match(out.stdout, `token ${record.id} revoked`);
  const bound = target.dialect === 'sqlite' ? 0 : PRINCIPALS_STALE_MS;
  // The bound is what is tested: the first request after it must be refused, however the polling fares.
  const left = revokedAt + bound - Date.now();
  if (left > 0) await sleep(left);
  t.equal(await s.apiTokens.principal(token), undefined, `refused ${bound} ms after the other process revoked it`);
  t.ok(await s.apiTokens.principal(other), 'another token still works');
  const again = await s.apiTokens.principal(other);
  t.equal(await s.apiTokens.principal(other), again, 'and is cached again');
});
