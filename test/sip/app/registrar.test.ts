import t from 'tap';

// The code under test unrefs its timers (they must not hold a process open); the test must.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));
import { Registrar, type RegisterInput } from '../../../sip/registrar.js';
import { parseContactList } from '../../../sip/name-addr.js';

const src = { transport: 'udp', host: '192.0.2.10', port: 40000 };

function input(contact: string, extra: Partial<RegisterInput> = {}): RegisterInput {
  const contacts = contact === '' ? [] : parseContactList(contact);
  if (contacts === undefined) throw new Error('bad contact');
  return { user: 'alice', contacts, callId: 'c1', cseq: 1, source: src, ...extra };
}

t.test('bindings with expiry, several contacts, refresh, un-REGISTER', async (t) => {
  let now = 0;
  const r = new Registrar({ minExpires: 60, maxExpires: 3600, defaultExpires: 600, now: () => now });
  t.teardown(() => r.close());
  const a = r.register(input('<sip:alice@10.0.0.1:5060>', { expires: 120 }));
  t.equal(a.status, 200);
  now += 1000;
  const b = r.register(
    input('<sip:alice@10.0.0.2:5062;transport=tcp>;expires=300', {
      callId: 'c2',
      userAgent: 'phone2',
      source: { ...src, transport: 'tcp', port: 5555 },
    }),
  );
  t.equal(b.status, 200);
  if (b.status !== 200) return;
  t.equal(b.bindings.length, 2, '200 lists all current contacts');
  t.equal(b.bindings[0]!.contact, 'sip:alice@10.0.0.2:5062;transport=tcp', 'most recent first');
  t.equal(b.bindings[0]!.expires, 300);
  t.equal(b.bindings[1]!.expires, 119, 'remaining seconds');
  t.same(r.lookup('alice')[0]!.source, { transport: 'tcp', host: '192.0.2.10', port: 5555 });
  t.equal(r.lookup('alice')[0]!.userAgent, 'phone2');
  // Expiry: first binding lapses after its 120 s.
  now += 120_000;
  t.same(
    r.lookup('alice').map((x) => x.contact),
    ['sip:alice@10.0.0.2:5062;transport=tcp'],
  );
  // Un-REGISTER one contact with expires=0.
  const u = r.register(input('<sip:alice@10.0.0.2:5062;transport=tcp>;expires=0', { callId: 'c2', cseq: 2 }));
  t.same(u, { status: 200, bindings: [] });
  t.same(r.lookup('alice'), []);
  t.same(r.users(), []);
});

t.test('423, caps, wildcard, query, ordering', async (t) => {
  const r = new Registrar({ minExpires: 60, maxExpires: 3600, defaultExpires: 600 });
  t.teardown(() => r.close());
  t.same(r.register(input('<sip:alice@h>', { expires: 30 })), { status: 423, minExpires: 60 });
  t.same(r.lookup('alice'), [], 'nothing stored after 423');
  const capped = r.register(input('<sip:alice@h>', { expires: 99999 }));
  t.equal(capped.status === 200 && capped.bindings[0]!.expires, 3600);
  const dflt = r.register(input('<sip:alice@h2>', { callId: 'x' }));
  t.equal(dflt.status === 200 && dflt.bindings.find((b) => b.contact === 'sip:alice@h2')!.expires, 600);
  // Query: no Contact lists bindings unchanged.
  const q = r.register(input('', { callId: 'q' }));
  t.equal(q.status === 200 && q.bindings.length, 2);
  // Out-of-order CSeq within the same Call-ID.
  t.equal(r.register(input('<sip:alice@h>', { cseq: 1 })).status, 500);
  // Wildcard needs Expires: 0.
  t.equal(r.register(input('*', { callId: 'w', expires: 60 })).status, 400);
  const removed: string[] = [];
  r.on('unregistered', (b, why) => removed.push(`${b.contact}:${why}`));
  t.same(r.register(input('*', { callId: 'w', expires: 0 })), { status: 200, bindings: [] });
  t.same(removed.sort(), ['sip:alice@h2:removed', 'sip:alice@h:removed']);
  t.same(r.lookup('alice'), []);
  t.equal(r.register(input('<sip:alice@h>;expires=abc')).status, 400);
});

t.test('expired bindings are swept with an event', async (t) => {
  let now = 0;
  const r = new Registrar({ minExpires: 1, maxExpires: 3600, defaultExpires: 600, now: () => now, sweepMs: 20 });
  t.teardown(() => r.close());
  r.register(input('<sip:alice@h>', { expires: 1 }));
  const ev = new Promise<string>((resolve) => r.once('unregistered', (b, why) => resolve(`${b.contact}:${why}`)));
  now = 1500;
  t.equal(await ev, 'sip:alice@h:expired');
});

t.test('contact list parsing', async (t) => {
  const l = parseContactList('"Al, Ice" <sip:a@h;transport=ws>;expires=30;+sip.instance="<urn:uuid:1>", sip:b@h;q=0.5');
  t.ok(Array.isArray(l));
  if (!Array.isArray(l)) return;
  t.equal(l.length, 2);
  t.same(l[0], {
    displayName: 'Al, Ice',
    uri: 'sip:a@h;transport=ws',
    params: { expires: '30', '+sip.instance': '<urn:uuid:1>' },
  });
  t.same(l[1], { uri: 'sip:b@h', params: { q: '0.5' } });
  t.equal(parseContactList('*'), '*');
  t.equal(parseContactList('<sip:unterminated'), undefined);
});

t.test('contact limit per user', async (t) => {
  const r = new Registrar({ minExpires: 1, maxExpires: 3600, defaultExpires: 600, maxContactsPerUser: 2 });
  t.teardown(() => r.close());
  t.equal(r.register(input('<sip:alice@h1>, <sip:alice@h2>')).status, 200);
  t.same(r.register(input('<sip:alice@h3>', { callId: 'c9' })), { status: 403, reason: 'Too Many Contacts' });
  t.equal(r.lookup('alice').length, 2);
  // Replacing one contact in the same request stays within the limit.
  t.equal(r.register(input('<sip:alice@h1>;expires=0, <sip:alice@h3>', { cseq: 2 })).status, 200);
  t.same(
    r
      .lookup('alice')
      .map((b) => b.contact)
      .sort(),
    ['sip:alice@h2', 'sip:alice@h3'],
  );
});
