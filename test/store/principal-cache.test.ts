/** The token principal cache: expiry, the bound, revocations here and changes made by other processes. */
import t from 'tap';
import { PrincipalCache } from '../../src/store/principal-cache.js';

const principal = (id: number) => ({ token: { id } });

function cache(capacity = 3) {
  const clock = { now: 1000, version: 1 };
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
  clock.version++;
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
  clock.version++;
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
