import t from 'tap';
import { parseMessage } from '../../../../sip/server/parser.js';
import { serializeMessage } from '../../../../sip/server/serializer.js';
import { SipRequest, SipResponse } from '../../../../sip/server/message.js';
import { parseCSeq, parseNameAddr, parseVia } from '../../../../sip/server/grammar.js';
import { NET_FRAMES } from './net-frames.js';

t.test('every SIP message captured from the real drachtio-server parses', async (t) => {
  t.ok(NET_FRAMES.length >= 100);
  for (const f of NET_FRAMES) {
    const msg = parseMessage(f.raw);
    const first = f.raw.slice(0, f.raw.indexOf('\r\n'));
    if (msg instanceof SipRequest) t.equal(`${msg.method} ${msg.uri} SIP/2.0`, first, f.name);
    else if (msg instanceof SipResponse) t.equal(`SIP/2.0 ${msg.status} ${msg.reason}`, first, f.name);
    const cl = Number(msg.get('content-length'));
    t.equal(msg.body.length, cl, `${f.name}: body length`);
    t.equal(parseCSeq(msg.get('cseq')!).method, msg instanceof SipRequest ? msg.method : parseCSeq(msg.get('cseq')!).method);
    for (const v of msg.getAll('via')) parseVia(v);
    parseNameAddr(msg.get('from')!);
    parseNameAddr(msg.get('to')!);
  }
});

t.test('serializing a captured message gives back the wire bytes (up to Content-Length spacing)', async (t) => {
  for (const f of NET_FRAMES) {
    const wire = f.raw.replace(/Content-Length:\s+/i, 'Content-Length: ');
    t.equal(serializeMessage(parseMessage(f.raw)).toString('utf8'), wire, f.name);
  }
});
