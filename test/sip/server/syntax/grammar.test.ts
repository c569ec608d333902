import t from 'tap';
import {
  SipParseError,
  formatAuthHeader,
  formatNameAddr,
  formatUri,
  formatVia,
  getTag,
  parseAuthHeader,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseVia,
} from '../../../../sip/server/grammar.js';
import { SipParseError as FromParser } from '../../../../sip/server/parser.js';

t.test('parser and grammar share one SipParseError class', async (t) => {
  t.equal(SipParseError, FromParser);
});

t.test('parseUri: full sip URI', async (t) => {
  const u = parseUri(
    'sips:alice:secret@Atlanta.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent',
  );
  t.same(u, {
    scheme: 'sips',
    user: 'alice',
    password: 'secret',
    host: 'Atlanta.com',
    port: 5061,
    params: { transport: 'TCP', lr: null, maddr: '239.255.255.1' },
    headers: { subject: 'project%20x', priority: 'urgent' },
  });
  t.equal(
    formatUri(u),
    'sips:alice:secret@Atlanta.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent',
  );
});

t.test('parseUri: user parts with telephone numbers and escapes, hosts of every kind', async (t) => {
  t.equal(parseUri('sip:+1-212-555-1212:1234@gateway.com;user=phone').user, '+1-212-555-1212');
  t.equal(parseUri('sip:alice%40home@x.org').user, 'alice%40home');
  t.same(parseUri('SIP:127.0.0.1'), { scheme: 'sip', host: '127.0.0.1', params: {}, headers: {} });
  t.equal(parseUri('sip:[::1]:5060').host, '[::1]');
  t.equal(parseUri('sip:[::1]:5060').port, 5060);
  t.equal(parseUri('sip:u@[fe80::1%25eth0]').host, '[fe80::1%25eth0]');
  t.equal(parseUri('sip:x@sip_trunk.example.com.').host, 'sip_trunk.example.com.');
  const tel = parseUri('tel:+1-201-555-0123;phone-context=example.com');
  t.equal(tel.scheme, 'tel');
  t.equal(tel.user, '+1-201-555-0123');
  t.equal(tel.params['phone-context'], 'example.com');
  t.equal(formatUri(tel), 'tel:+1-201-555-0123;phone-context=example.com');
});

t.test('parseUri rejects bad URIs with SipParseError', async (t) => {
  for (const bad of [
    '',
    'alice@x',
    'http://x',
    'sip:',
    'sip:a@',
    'sip:a b@x',
    'sip:@x',
    'sip:x:',
    'sip:x:abc',
    'sip:x:65536',
    'sip:[::1',
    'sip:[::1]x',
    'sip:a@b@c',
    'sip:x;=1',
    'sip:x;a=',
    'sip:x?h',
    'sip:a%zz@x',
    'tel:xyz',
    'sip:-x.com',
    'sip:<x>',
  ]) {
    t.throws(() => parseUri(bad), SipParseError, JSON.stringify(bad));
  }
});

t.test('parseNameAddr: all three forms and quoted escapes', async (t) => {
  t.same(parseNameAddr('"Bob \\"B\\"" <sip:b@x>;tag=1'), { displayName: 'Bob "B"', uri: 'sip:b@x', params: { tag: '1' } });
  t.same(parseNameAddr('sip:b@x;tag=1'), { uri: 'sip:b@x', params: { tag: '1' } });
  t.same(parseNameAddr('<sip:x>'), { uri: 'sip:x', params: {} });
  t.same(parseNameAddr('Bob   Smith <sip:b@x;transport=tcp>;Expires=60;+sip.instance="<urn:uuid:1>"'), {
    displayName: 'Bob Smith',
    uri: 'sip:b@x;transport=tcp',
    params: { expires: '60', '+sip.instance': '"<urn:uuid:1>"' },
  });
  t.same(parseNameAddr('"" <tel:+15551234>'), { displayName: '', uri: 'tel:+15551234', params: {} });
  t.equal(parseNameAddr('<urn:service:sos>').uri, 'urn:service:sos');
  t.equal(parseNameAddr('John (Work) <sip:j@x>').displayName, 'John (Work)', 'lenient unquoted display name');
  for (const bad of [
    '',
    '"unterminated <sip:x>',
    '<sip:x',
    '"a" sip:x',
    'no-uri',
    '<sip:x>;tag',
    '<sip:x>junk',
    '<sip:a b>',
    'sip:x?subject=a',
    'a"b <sip:x>',
    'a>b <sip:x>',
  ]) {
    if (bad === '<sip:x>;tag') continue; // a flag parameter is legal
    t.throws(() => parseNameAddr(bad), SipParseError, JSON.stringify(bad));
  }
});

t.test('formatNameAddr always uses <> and escapes the display name', async (t) => {
  t.equal(formatNameAddr({ uri: 'sip:b@x', params: { tag: '1' } }), '<sip:b@x>;tag=1');
  t.equal(formatNameAddr({ displayName: 'Bob "B" \\', uri: 'sip:b@x', params: { lr: null } }), '"Bob \\"B\\" \\\\" <sip:b@x>;lr');
  const n = parseNameAddr(formatNameAddr({ displayName: 'Bob "B" \\', uri: 'sip:b@x', params: {} }));
  t.equal(n.displayName, 'Bob "B" \\');
});

t.test('getTag: tolerant, never throws', async (t) => {
  t.equal(getTag('<sip:a@b>;tag=abc'), 'abc');
  t.equal(getTag('sip:a@b;tag=abc'), 'abc');
  t.equal(getTag('<sip:a@b;tag=inuri>'), undefined);
  t.equal(getTag('<sip:a@b>'), undefined);
  t.equal(getTag('garbage <<< ;tag=x1'), 'x1');
  t.equal(getTag(''), undefined);
});

t.test('parseVia / formatVia', async (t) => {
  const v = parseVia('SIP / 2.0 / udp 192.0.2.1:5060 ;received=192.0.2.207;branch=z9hG4bK77asjd;rport');
  t.same(v, {
    protocol: 'SIP/2.0',
    transport: 'UDP',
    host: '192.0.2.1',
    port: 5060,
    params: { received: '192.0.2.207', branch: 'z9hG4bK77asjd', rport: null },
  });
  t.equal(formatVia(v), 'SIP/2.0/UDP 192.0.2.1:5060;received=192.0.2.207;branch=z9hG4bK77asjd;rport');
  t.equal(parseVia('SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKx').transport, 'WSS');
  t.equal(parseVia('SIP/2.0/TLS [2001:db8::1];branch=z9hG4bKx').host, '[2001:db8::1]');
  for (const bad of [
    '',
    'SIP/2.0/UDP',
    'SIP/2.0 UDP h',
    'SIP/2.0/UDP h:x',
    'SIP/2.0/UDP h;branch=a, SIP/2.0/UDP g',
    'SIP/2.0/UDP h;;',
  ]) {
    t.throws(() => parseVia(bad), SipParseError, JSON.stringify(bad));
  }
});

t.test('parseCSeq', async (t) => {
  t.same(parseCSeq('4711 INVITE'), { seq: 4711, method: 'INVITE' });
  t.same(parseCSeq('  0   ACK '), { seq: 0, method: 'ACK' });
  for (const bad of ['', 'INVITE', '1', '1 IN VITE', 'x INVITE', '4294967296 INVITE'])
    t.throws(() => parseCSeq(bad), SipParseError, bad);
});

t.test('parseAuthHeader / formatAuthHeader', async (t) => {
  const c = parseAuthHeader(
    'Digest realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", qop="auth,auth-int", algorithm=SHA-256, stale=FALSE, opaque="a\\"b"',
  );
  t.equal(c.scheme, 'Digest');
  t.same(c.params, {
    realm: 'atlanta.com',
    nonce: '84a4cc6f3082121f32b42a2187831a9e',
    qop: 'auth,auth-int',
    algorithm: 'SHA-256',
    stale: 'FALSE',
    opaque: 'a"b',
  });
  const challenge = formatAuthHeader('Digest', { realm: 'r', nonce: 'n', qop: 'auth', algorithm: 'MD5' });
  t.equal(challenge, 'Digest realm="r", nonce="n", qop="auth", algorithm=MD5');
  const creds = formatAuthHeader('Digest', {
    username: 'bob',
    realm: 'r',
    nonce: 'n',
    uri: 'sip:x',
    response: 'abc',
    qop: 'auth',
    nc: '00000001',
    cnonce: 'c',
  });
  t.equal(creds, 'Digest username="bob", realm="r", nonce="n", uri="sip:x", response="abc", qop=auth, nc=00000001, cnonce="c"');
  t.same(parseAuthHeader(creds).params['qop'], 'auth');
  t.equal(formatAuthHeader('Digest', { a: '1', b: '2' }, ['b']), 'Digest a=1, b="2"');
  for (const bad of ['', 'Digest realm', 'Digest realm="x', 'Digest =x', 'Digest realm=a b'])
    t.throws(() => parseAuthHeader(bad), SipParseError, bad);
});
