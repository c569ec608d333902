import t from 'tap';
import { parseMessage } from '../../../../sip/server/parser.js';
import { serializeMessage } from '../../../../sip/server/serializer.js';
import { SipRequest, SipResponse } from '../../../../sip/server/message.js';
import { NET_FRAMES } from './net-frames.js';
import { GOOD_OPTIONS } from './malformed.js';

const EXTRA = [
  GOOD_OPTIONS,
  'INVITE sip:bob@[2001:db8::1] SIP/2.0\r\nv: SIP/2.0/UDP [::1]:5070;branch=z9hG4bK1\r\n  ;rport\r\nf: "A \\"q\\"" <sip:a@x>;tag=1\r\nt: <sip:bob@[2001:db8::1]>\r\ni: rt@x\r\nCSeq: 9 INVITE\r\nl: 11\r\n\r\nhello world',
  'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: rt2@x\r\nCSeq: 1 OPTIONS\r\n\r\n',
  'MESSAGE sip:b@x SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@x>;tag=1\nTo: <sip:b@x>\nCall-ID: lf@x\nCSeq: 1 MESSAGE\nContent-Length: 2\n\nhi-truncated',
];

t.test('parse(serialize(parse(x))) is stable', async (t) => {
  for (const raw of [...NET_FRAMES.map((f) => f.raw), ...EXTRA]) {
    const a = parseMessage(raw);
    const wire = serializeMessage(a);
    const b = parseMessage(wire);
    // the serializer appends a missing Content-Length; everything else survives unchanged
    const noCl = (m: typeof a): typeof a.headers => m.headers.filter((h) => !/^(content-length|l)$/i.test(h.name));
    t.same(noCl(b), noCl(a));
    t.equal(b.get('content-length'), String(a.body.length));
    t.same(b.body, a.body);
    if (a instanceof SipRequest && b instanceof SipRequest) t.same([b.method, b.uri], [a.method, a.uri]);
    else if (a instanceof SipResponse && b instanceof SipResponse) t.same([b.status, b.reason], [a.status, a.reason]);
    else t.fail('kind changed');
    t.same(serializeMessage(b), wire, 'byte-stable on the second pass');
  }
});

t.test('serializer rewrites Content-Length in place, or appends it', async (t) => {
  const m = parseMessage(GOOD_OPTIONS);
  m.body = Buffer.from('abc');
  m.append('X-After', '1');
  const out = serializeMessage(m).toString();
  t.match(out, /Max-Forwards: 70\r\nContent-Length: 3\r\nX-After: 1\r\n\r\nabc$/);
  const r = new SipResponse(180, 'Ringing');
  r.append('Via', 'SIP/2.0/UDP h;branch=z9hG4bK1');
  r.append('Content-Length', '999');
  r.append('l', '5');
  t.equal(
    serializeMessage(r).toString(),
    'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n',
  );
  const q = new SipRequest('BYE', 'sip:x@y');
  q.body = Buffer.from([0xff, 0x00]);
  const bytes = serializeMessage(q);
  t.equal(bytes.toString('latin1'), 'BYE sip:x@y SIP/2.0\r\nContent-Length: 2\r\n\r\n\xff\x00');
});
