/** Locating carrier servers (RFC 3263 without NAPTR) against a DNS server on loopback. */
import t from 'tap';
import { SipResolver } from '../../../sip/server/resolver.js';
import { TestDnsServer } from '../../helpers/dns-server.js';

async function zone(t: { teardown(fn: () => void): void }) {
  const dns = await TestDnsServer.start({
    srv: {
      '_sip._udp.carrier.test': [
        { priority: 20, weight: 0, port: 5090, target: 'backup.carrier.test' },
        { priority: 10, weight: 60, port: 5070, target: 'a.carrier.test' },
        { priority: 10, weight: 40, port: 5080, target: 'b.carrier.test' },
      ],
      '_sips._tcp.carrier.test': [{ priority: 10, weight: 1, port: 5061, target: 'tls.carrier.test' }],
      '_sip._udp.dangling.test': [{ priority: 10, weight: 1, port: 5060, target: 'nowhere.test' }],
    },
    a: {
      'a.carrier.test': ['127.0.0.11'],
      'b.carrier.test': ['127.0.0.12'],
      'backup.carrier.test': ['127.0.0.13'],
      'tls.carrier.test': ['127.0.0.14'],
      'plain.test': ['127.0.0.15', '127.0.0.16'],
      'carrier.test': ['127.0.0.99'],
    },
  });
  t.teardown(() => dns.close());
  return dns;
}

t.test('SRV: lowest priority first, weighted order inside a priority, port from the record', async (t) => {
  const dns = await zone(t);
  const low = new SipResolver({ servers: [dns.server], random: () => 0 });
  t.same(
    await low.resolve('carrier.test', undefined, 'udp'),
    [
      { host: '127.0.0.12', port: 5080 },
      { host: '127.0.0.11', port: 5070 },
      { host: '127.0.0.13', port: 5090 },
    ],
    'a low draw picks the first of the weight-sorted pool (b, weight 40), then a; backup last',
  );
  const high = new SipResolver({ servers: [dns.server], random: () => 0.99 });
  t.same(
    (await high.resolve('carrier.test', undefined, 'udp')).map((x) => x.port),
    [5070, 5080, 5090],
    'a high draw picks a (weight 60) first',
  );

  let seed = 5;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const r = new SipResolver({ servers: [dns.server], random: rnd, cacheMs: 0 });
  let firstIsA = 0;
  for (let i = 0; i < 400; i++) if ((await r.resolve('carrier.test', undefined, 'udp'))[0].port === 5070) firstIsA++;
  t.ok(firstIsA > 200 && firstIsA < 280, `a (weight 60 of 100) comes first about 60% of the time (${firstIsA / 4}%)`);
});

t.test('tls uses _sips._tcp; an explicit port or an IP skips SRV; ws has no SRV', async (t) => {
  const dns = await zone(t);
  const r = new SipResolver({ servers: [dns.server] });
  t.same(await r.resolve('carrier.test', undefined, 'tls'), [{ host: '127.0.0.14', port: 5061 }]);
  dns.asked.length = 0;
  t.same(await r.resolve('carrier.test', 5099, 'udp'), [{ host: '127.0.0.99', port: 5099 }], 'explicit port: the A record');
  t.notOk(
    dns.asked.some((q) => q.type === 33),
    'no SRV question was asked',
  );
  t.same(await r.resolve('192.0.2.7', undefined, 'tcp'), [{ host: '192.0.2.7', port: 5060 }], 'an IP is used as is');
  t.same(await r.resolve('[2001:db8::1]', 5070, 'udp'), [{ host: '2001:db8::1', port: 5070 }], 'IPv6 in brackets');
  dns.asked.length = 0;
  t.same(await r.resolve('carrier.test', undefined, 'ws'), [{ host: '127.0.0.99', port: 80 }], 'ws: A record, port 80');
  t.notOk(
    dns.asked.some((q) => q.type === 33),
    'no SRV for WebSocket',
  );
});

t.test('no SRV records: the A records on the default port; unknown names are an error', async (t) => {
  const dns = await zone(t);
  const r = new SipResolver({ servers: [dns.server] });
  t.same(await r.resolve('plain.test', undefined, 'udp'), [
    { host: '127.0.0.15', port: 5060 },
    { host: '127.0.0.16', port: 5060 },
  ]);
  t.same(await r.resolve('plain.test', undefined, 'tls'), [
    { host: '127.0.0.15', port: 5061 },
    { host: '127.0.0.16', port: 5061 },
  ]);
  await t.rejects(r.resolve('nonexistent.invalid', undefined, 'udp'), 'a name with no records at all');
  await t.rejects(r.resolve('dangling.test', undefined, 'udp'), /no address for any SRV target/, 'SRV targets with no address');
  t.same(await r.resolve('localhost', 5060, 'udp').then((x) => x.map((y) => y.port)), [5060], 'a hosts-file name still resolves');
});

t.test('answers are reused for cacheMs, failures are not', async (t) => {
  const dns = await zone(t);
  const r = new SipResolver({ servers: [dns.server] });
  await r.resolve('carrier.test', undefined, 'udp');
  const asked = dns.asked.length;
  t.same((await r.resolve('carrier.test', undefined, 'udp')).length, 3, 'the same three servers');
  t.equal(dns.asked.length, asked, 'without asking DNS again');
  await t.rejects(r.resolve('dangling.test', undefined, 'udp'));
  const before = dns.asked.length;
  await t.rejects(r.resolve('dangling.test', undefined, 'udp'));
  t.ok(dns.asked.length > before, 'a failed lookup is asked again next time');
});
