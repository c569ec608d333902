/**
 * RFC 4475's torture messages through the parser: the valid ones parse (with the values the RFC
 * says they carry), the broken requests fail with a SipParseError that still yields a 400/505 to send.
 */
import t from 'tap';
import { parseMessage, SipParseError } from '../../../../sip/server/parser.js';
import { SipRequest } from '../../../../sip/server/message.js';
import { getTag, parseCSeq, parseNameAddr, parseVia } from '../../../../sip/server/grammar.js';
import { buildBadRequestResponse } from '../../../../sip/server/transport/via-stamp.js';
import { TORTURE } from './rfc4475.js';

const wire = (raw: string): Buffer => Buffer.from(raw, 'latin1');
const byName = (n: string) => TORTURE.find((c) => c.name === n)!;

t.test('every RFC 4475 message gets the outcome the RFC asks for', async (t) => {
  t.ok(TORTURE.length >= 35, `${TORTURE.length} messages`);
  for (const c of TORTURE) {
    let err: unknown;
    try {
      parseMessage(wire(c.raw));
    } catch (e) {
      err = e;
    }
    // a refusal after parsing (416, 420, 415, 501) is the UAS's, tested against the server
    if (
      c.expect === 'parse' ||
      c.expect === 415 ||
      c.expect === 416 ||
      c.expect === 420 ||
      c.expect === 483 ||
      c.expect === 501
    ) {
      t.equal(err, undefined, `${c.name} (§${c.section}) parses: ${(err as Error | undefined)?.message ?? ''}`);
      continue;
    }
    t.ok(err instanceof SipParseError, `${c.name} (§${c.section}) is rejected`);
    if (!(err instanceof SipParseError) || c.isResponse) continue;
    const res = buildBadRequestResponse(err, { transport: 'udp', host: '127.0.0.1', port: 5070 });
    t.equal(res?.status, c.expect, `${c.name}: answered ${c.expect} (${err.message})`);
  }
});

t.test('wsinv: folding, odd spacing, escapes and compact names resolve to the RFC values', async (t) => {
  const req = parseMessage(wire(byName('wsinv').raw)) as SipRequest;
  t.equal(req.method, 'INVITE');
  t.equal(getTag(req.get('to')!), '1918181833n');
  const from = parseNameAddr(req.get('from')!);
  t.equal(from.displayName, 'J Rosenberg \\"');
  t.equal(from.params['tag'], '98asjd8');
  t.same(parseCSeq(req.get('cseq')!), { seq: 9, method: 'INVITE' });
  t.equal(req.get('max-forwards'), '0068');
  t.equal(req.getAll('via').length, 3, 'three Via values over two lines');
  t.equal(parseVia(req.getAll('via')[0]!).host, '192.0.2.2');
  t.equal(parseVia(req.getAll('via')[2]!).params['branch'], 'z9hG4bK30239');
  t.equal(req.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  t.equal(req.get('subject'), '');
  const contact = parseNameAddr(req.get('contact')!);
  t.equal(contact.displayName, 'Quoted string ""');
  t.equal(contact.params['newparam'], 'newvalue');
  t.equal(contact.params['q'], '0.33');
  t.equal(req.body.length, 150);
});

t.test('intmeth: every legal token character in method, header names and parameters', async (t) => {
  const req = parseMessage(wire(byName('intmeth').raw)) as SipRequest;
  t.equal(req.method, "!interesting-Method0123456789_*+`.%indeed'~");
  t.match(req.get('to')!, /NUL:\\\x00/, 'quoted-pair NUL kept in the display name');
  t.equal(req.callId, 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  t.equal(getTag(req.get('from')!), "_token~1'+`*%!-.");
});

t.test('a bare control character outside a quoted string is still refused', async (t) => {
  const raw = byName('lwsdisp').raw.replace('From: caller', 'From: cal\x07ler');
  t.throws(() => parseMessage(wire(raw)), /control characters/);
});

t.test('CSeq: 2^32-1 is the largest sequence number', async (t) => {
  const ok = byName('lwsdisp').raw.replace('CSeq: 60 OPTIONS', 'CSeq: 4294967295 OPTIONS');
  t.equal(parseCSeq((parseMessage(wire(ok)) as SipRequest).get('cseq')!).seq, 4294967295);
  const over = byName('lwsdisp').raw.replace('CSeq: 60 OPTIONS', 'CSeq: 4294967296 OPTIONS');
  t.throws(() => parseMessage(wire(over)), /CSeq/);
});

t.test('dblreq: the trailing INVITE in the datagram is ignored, not parsed into the REGISTER', async (t) => {
  const req = parseMessage(wire(byName('dblreq').raw)) as SipRequest;
  t.equal(req.method, 'REGISTER');
  t.equal(req.body.length, 0);
  t.equal(req.callId, 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
});
