import t from 'tap';
import { until } from '../../helpers/wait.js';
import { Trunks } from '../../../sip/trunks.js';
import type { TrunkConfig } from '../../../config/schema.js';
import type { RegisterResponse } from '../../../sip/trunk-registration.js';

const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

function cfg(over: Partial<TrunkConfig>): TrunkConfig {
  return {
    name: 'x',
    host: '203.0.113.5',
    port: 5060,
    transport: 'udp',
    register: false,
    expires: 3600,
    inboundAddresses: [],
    ...over,
  };
}

t.test('inbound recognition by source address (host and extra addresses) and by registered line token', async (t) => {
  const sent: { uri: string; headers: Record<string, string> }[] = [];
  const trunks = new Trunks(
    async (req) => {
      sent.push(req);
      return { status: 200, reason: 'OK', get: () => undefined } as RegisterResponse;
    },
    [
      cfg({ name: 'a', inboundAddresses: ['198.51.100.7', '::ffff:198.51.100.8'] }),
      cfg({
        name: 'b',
        host: '192.0.2.44',
        register: true,
        username: 'acct',
        password: 'pw',
        fromDomain: 'carrier.example',
        transport: 'tcp',
        port: 5080,
      }),
    ],
  );
  t.teardown(() => trunks.close());
  await trunks.start();
  t.equal(trunks.match('203.0.113.5', 'sip:100@me'), 'a');
  t.equal(trunks.match('198.51.100.7', 'sip:100@me'), 'a');
  t.equal(trunks.match('::ffff:198.51.100.8', 'sip:100@me'), 'a');
  t.equal(trunks.match('192.0.2.44', 'sip:100@me'), 'b');
  t.equal(trunks.match('10.1.1.1', 'sip:100@me'), undefined);
  const token = trunks.lineToken('b')!;
  t.equal(
    trunks.match('192.0.2.44', `sip:acct@10.0.0.1:5060;transport=tcp;line=${token}`),
    'b',
    'by registration, from the carrier',
  );
  // The token alone (it travels in clear in every INVITE to us) does not make a request the carrier's.
  t.equal(
    trunks.match('10.1.1.1', `sip:acct@10.0.0.1:5060;transport=tcp;line=${token}`),
    undefined,
    'the token from another address is not the carrier',
  );
  t.equal(trunks.match('10.1.1.1', 'sip:acct@10.0.0.1;line=bogus'), undefined);
  await until(() => sent.length > 0);
  t.equal(sent.length, 1, 'only the registering trunk sent REGISTER');
  t.equal(sent[0]!.uri, 'sip:192.0.2.44:5080;transport=tcp');
  t.equal(sent[0]!.headers.To, '<sip:acct@carrier.example>');
  t.equal(sent[0]!.headers.Contact, `<sip:acct@localhost;transport=tcp;line=${token}>`);
  t.equal(sent[0]!.headers.Expires, '3600');
});

t.test('dial plan: Request-URI at the carrier, From with our account, credentials', async (t) => {
  const trunks = new Trunks(
    async () => ({ status: 200, reason: 'OK', get: () => undefined }),
    [
      cfg({
        name: 'c',
        host: 'carrier.example',
        port: 5061,
        transport: 'tls',
        username: 'acct',
        password: 'pw',
        fromUser: '+4420555',
        fromDomain: 'c.example',
      }),
      cfg({ name: 'open', host: '2001:db8::1' }),
    ],
  );
  const plan = trunks.dialPlan('c', '+15551234', { user: 'alice', displayName: 'Alice' })!;
  t.equal(plan.uri, 'sip:+15551234@carrier.example:5061;transport=tls');
  t.equal(plan.headers.From, '"Alice" <sip:+4420555@c.example>');
  t.same(plan.auth, { username: 'acct', password: 'pw' });
  const open = trunks.dialPlan('open', '100', { user: 'alice' })!;
  t.equal(open.uri, 'sip:100@[2001:db8::1]:5060');
  t.equal(open.headers.From, '<sip:alice@[2001:db8::1]>');
  t.equal(open.auth, undefined);
  t.equal(trunks.dialPlan('missing', '1'), undefined);
});

t.test('the line token picks among trunks that share the carrier address', async (t) => {
  const trunks = new Trunks(
    async () => ({ status: 200, reason: 'OK', get: () => undefined }) as RegisterResponse,
    [
      cfg({ name: 'one', host: '192.0.2.50', register: true, username: 'acct1', password: 'pw' }),
      cfg({ name: 'two', host: '192.0.2.50', register: true, username: 'acct2', password: 'pw' }),
    ],
  );
  t.teardown(() => trunks.close());
  await trunks.start();
  t.equal(trunks.match('192.0.2.50', `sip:acct2@me;line=${trunks.lineToken('two')!}`), 'two');
  t.equal(trunks.match('192.0.2.50', `sip:acct1@me;line=${trunks.lineToken('one')!}`), 'one');
  t.equal(trunks.match('192.0.2.50', 'sip:acct1@me'), 'one', 'no token: the first trunk at that address');
  t.equal(trunks.match('192.0.2.51', `sip:acct2@me;line=${trunks.lineToken('two')!}`), undefined);
});
