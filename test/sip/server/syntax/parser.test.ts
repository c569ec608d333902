import t from 'tap';
import { SipParseError, parseMessage } from '../../../../sip/server/parser.js';
import { SipRequest, SipResponse } from '../../../../sip/server/message.js';
import { getTag, parseNameAddr, parseUri, parseVia } from '../../../../sip/server/grammar.js';
import { buildBadRequestResponse } from '../../../../sip/server/transport/via-stamp.js';
import { GOOD_OPTIONS, MALFORMED } from './malformed.js';
import { NET_FRAMES } from './net-frames.js';

const crlf = (lines: string[], body = ''): string => lines.join('\r\n') + '\r\n\r\n' + body;

t.test('compact header names are kept as sent and resolve on lookup', async (t) => {
  const m = parseMessage(
    crlf(
      [
        'INVITE sip:bob@example.com SIP/2.0',
        'v: SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK74bf9',
        'f: Alice <sip:alice@example.com>;tag=9fxced76sl',
        't: Bob <sip:bob@example.com>',
        'i: 3848276298220188511@example.com',
        'CSeq: 1 INVITE',
        'm: <sip:alice@client.example.com;transport=tcp>',
        'c: application/sdp',
        'l: 4',
        'k: 100rel',
      ],
      'v=0\r',
    ),
  );
  t.ok(m instanceof SipRequest);
  t.same(
    m.headers.map((h) => h.name),
    ['v', 'f', 't', 'i', 'CSeq', 'm', 'c', 'l', 'k'],
  );
  t.equal(m.get('Call-ID'), '3848276298220188511@example.com');
  t.equal(m.get('content-type'), 'application/sdp');
  t.equal(getTag(m.get('From')!), '9fxced76sl');
  t.equal(m.body.toString(), 'v=0\r');
});

t.test('folded headers are unfolded to one space; names are case-insensitive', async (t) => {
  const m = parseMessage(
    crlf([
      'OPTIONS sip:svc@127.0.0.1 SIP/2.0',
      'VIA: SIP/2.0/UDP 127.0.0.1:5070',
      '  ;branch=z9hG4bK-fold',
      'from: <sip:a@127.0.0.1>;tag=1',
      'TO: <sip:svc@127.0.0.1>',
      'call-id: fold@x',
      'cseq: 7 OPTIONS',
      "Subject: I know you're there,",
      '\t pick up the phone',
      '         and talk to me!',
      'Content-Length: 0',
    ]),
  );
  t.equal(m.get('via'), 'SIP/2.0/UDP 127.0.0.1:5070 ;branch=z9hG4bK-fold');
  t.equal(parseVia(m.get('via')!).params['branch'], 'z9hG4bK-fold');
  t.equal(m.get('subject'), "I know you're there, pick up the phone and talk to me!");
});

t.test('multi-valued headers: comma lists and repeated lines', async (t) => {
  const m = parseMessage(
    crlf([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa, SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bKb;received=2001:db8::9',
      'Via: SIP/2.0/TCP h.example.com;branch=z9hG4bKc',
      'Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
      'From: "Bob, \\"the builder\\"" <sip:bob@example.com>;tag=b',
      'To: <sip:carol@example.com>;tag=c',
      'Call-ID: mv@x',
      'CSeq: 2 INVITE',
      'Contact: "A, B" <sip:ab@10.0.0.1>;expires=60, <sip:c@10.0.0.2>;+sip.instance="<urn:uuid:1234>"',
      'Content-Length: 0',
    ]),
  );
  t.ok(m instanceof SipResponse);
  const vias = m.getAll('via').map(parseVia);
  t.same(
    vias.map((v) => v.host),
    ['10.0.0.1', '[2001:db8::9]', 'h.example.com'],
  );
  t.equal(vias[1]!.port, 5070);
  t.equal(vias[1]!.params['received'], '2001:db8::9');
  t.same(m.getAll('record-route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  t.equal(parseNameAddr(m.get('from')!).displayName, 'Bob, "the builder"');
  const contacts = m.getAll('contact').map(parseNameAddr);
  t.equal(contacts.length, 2);
  t.equal(contacts[0]!.displayName, 'A, B');
  t.equal(contacts[1]!.params['+sip.instance'], '"<urn:uuid:1234>"');
});

t.test('IPv6 hosts in Request-URI, Via and Contact', async (t) => {
  const m = parseMessage(
    crlf([
      'REGISTER sip:[2001:db8::1]:5060;transport=udp SIP/2.0',
      'Via: SIP/2.0/UDP [::1]:5070;rport;branch=z9hG4bK6',
      'From: <sip:alice@[2001:db8::1]>;tag=x',
      'To: <sip:alice@[2001:db8::1]>',
      'Call-ID: v6@[::1]',
      'CSeq: 3 REGISTER',
      'Contact: <sip:alice@[::1]:5070>;expires=3600',
      'Max-Forwards: 70',
      'Content-Length: 0',
    ]),
  );
  const u = parseUri((m as SipRequest).uri);
  t.equal(u.host, '[2001:db8::1]');
  t.equal(u.port, 5060);
  t.equal(u.params['transport'], 'udp');
  t.equal(parseVia(m.get('via')!).host, '[::1]');
  t.equal(parseVia(m.get('via')!).params['rport'], null);
  t.equal(parseUri(parseNameAddr(m.get('contact')!).uri).host, '[::1]');
});

t.test('body sized by Content-Length: longer datagram truncated, missing length takes the rest', async (t) => {
  const base = [
    'MESSAGE sip:b@x SIP/2.0',
    'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
    'From: <sip:a@x>;tag=1',
    'To: <sip:b@x>',
    'Call-ID: body@x',
    'CSeq: 1 MESSAGE',
  ];
  t.equal(parseMessage(crlf([...base, 'Content-Length: 5'], 'hello world')).body.toString(), 'hello');
  t.equal(parseMessage(crlf(base, 'no length')).body.toString(), 'no length');
  const bin = Buffer.concat([Buffer.from(crlf([...base, 'Content-Length: 4'])), Buffer.from([0, 0xff, 0x80, 0x0d])]);
  t.same([...parseMessage(bin).body], [0, 0xff, 0x80, 0x0d]);
});

t.test('bare LF line endings and leading CRLFs are tolerated', async (t) => {
  const m = parseMessage('\r\n\r\n' + GOOD_OPTIONS.replace(/\r\n/g, '\n'));
  t.equal((m as SipRequest).method, 'OPTIONS');
  t.equal(m.get('cseq'), '1 OPTIONS');
});

t.test('UTF-8 display names and reason phrases', async (t) => {
  const m = parseMessage(
    crlf([
      'SIP/2.0 486 Occupé',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'From: "Zoë" <sip:z@x>;tag=1',
      'To: Ŧest <sip:t@x>;tag=2',
      'Call-ID: u@x',
      'CSeq: 1 INVITE',
    ]),
  );
  t.equal((m as SipResponse).reason, 'Occupé');
  t.equal(parseNameAddr(m.get('from')!).displayName, 'Zoë');
  t.equal(parseNameAddr(m.get('to')!).displayName, 'Ŧest');
});

t.test('a response with an empty reason phrase parses', async (t) => {
  const m = parseMessage(
    crlf([
      'SIP/2.0 180 ',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'From: <sip:z@x>;tag=1',
      'To: <sip:t@x>;tag=2',
      'Call-ID: u@x',
      'CSeq: 1 INVITE',
    ]),
  );
  t.equal((m as SipResponse).status, 180);
  t.equal((m as SipResponse).reason, '');
});

t.test('messages over maxSize are refused', async (t) => {
  const big = GOOD_OPTIONS.replace('Content-Length: 0', `Subject: ${'x'.repeat(2000)}\r\nContent-Length: 0`);
  t.throws(() => parseMessage(big, { maxSize: 1024 }), { name: 'SipParseError', statusCode: 513 });
  t.ok(parseMessage(big, { maxSize: 4096 }));
  // the headers before the cut still make a 513 possible
  let err: SipParseError | undefined;
  try {
    parseMessage(GOOD_OPTIONS.replace('Max-Forwards: 70', `Max-Forwards: 70\r\nSubject: ${'x'.repeat(2000)}`), { maxSize: 1024 });
  } catch (e) {
    err = e as SipParseError;
  }
  const res = buildBadRequestResponse(err!, { transport: 'udp', host: '127.0.0.1', port: 5070 });
  t.equal(res?.status, 513);
  t.match(res?.reason, /^Message Too Large \(message too large/);
  t.equal(res?.get('call-id'), 'bad-1@127.0.0.1');
});

t.test(`${MALFORMED.length} malformed messages each give SipParseError with a reason`, async (t) => {
  t.ok(MALFORMED.length >= 40);
  t.equal(new Set(MALFORMED.map((c) => c.raw)).size, MALFORMED.length, 'all distinct');
  for (const c of MALFORMED) {
    let err: unknown;
    try {
      parseMessage(c.raw);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof SipParseError, `${c.name}: SipParseError`);
    if (!(err instanceof SipParseError)) continue;
    t.match(err.message, c.reason, `${c.name}: reason "${err.message}"`);
    const res = buildBadRequestResponse(err, { transport: 'udp', host: '127.0.0.1', port: 5070 });
    t.equal(res !== undefined, c.answerable, `${c.name}: answerable=${c.answerable}`);
    if (res) {
      t.ok(res.status === 400 || res.status === 505, `${c.name}: status ${res.status}`);
      if (res.get('to') !== undefined) t.ok(getTag(res.get('to')!), `${c.name}: To tag`);
      const callId = c.raw.match(/Call-ID: (\S+)\r\n/)?.[1];
      if (callId) t.equal(res.get('call-id'), callId, `${c.name}: Call-ID copied`);
    }
  }
});

t.test('random corruption of real messages never throws anything but SipParseError', async (t) => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let parsed = 0;
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const src = Buffer.from(NET_FRAMES[rand(NET_FRAMES.length)]!.raw);
    const buf = Buffer.from(src);
    const edits = 1 + rand(4);
    for (let k = 0; k < edits; k++) {
      const pos = rand(buf.length);
      buf[pos] = [0x00, 0x0d, 0x0a, 0x3a, 0x3b, 0x22, 0x3c, 0x3e, 0x20, 0x40, 0x2c, rand(256)][rand(12)]!;
    }
    const cut = rand(3) === 0 ? buf.subarray(0, rand(buf.length)) : buf;
    try {
      parseMessage(cut);
      parsed++;
    } catch (e) {
      if (!(e instanceof SipParseError)) {
        t.fail(`threw ${String(e)} for ${JSON.stringify(cut.toString('latin1'))}`);
        return;
      }
      rejected++;
    }
  }
  t.ok(parsed > 100 && rejected > 100, `parsed ${parsed}, rejected ${rejected}`);
});

t.test('pathological inputs finish in linear time', async (t) => {
  const hostile = [
    GOOD_OPTIONS.replace('Max-Forwards: 70', `Contact: ${'<'.repeat(60000)}`),
    GOOD_OPTIONS.replace('Max-Forwards: 70', `Via: SIP/2.0/UDP h${';a'.repeat(30000)}`),
    GOOD_OPTIONS.replace('Max-Forwards: 70', `From: "${'\\'.repeat(60000)}`),
    GOOD_OPTIONS.replace('Max-Forwards: 70', `X: ${'\r\n '.repeat(20000)}`),
    `OPTIONS sip:${'a'.repeat(60000)} SIP/2.0\r\n\r\n`,
    GOOD_OPTIONS.replace('Max-Forwards: 70', `Contact: ${'"a",'.repeat(15000)}`),
  ];
  for (const h of hostile) {
    const c0 = process.cpuUsage();
    try {
      parseMessage(h, { maxSize: 200000 });
    } catch (e) {
      t.ok(e instanceof SipParseError);
    }
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000;
    t.ok(ms < 250, `took ${ms.toFixed(1)} ms of CPU`);
  }
});
