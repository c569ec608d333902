/**
 * Malformed SIP messages, each paired with the reason the parser should give. Built from one
 * good OPTIONS by breaking exactly one thing, plus hopeless inputs. `answerable` says whether
 * a 400 can be sent: any request with a Via line can (the broken header is echoed or left out).
 */

const GOOD_LINES = [
  'OPTIONS sip:svc@127.0.0.1:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-bad-1',
  'From: "Alice" <sip:alice@127.0.0.1:5070>;tag=a1',
  'To: <sip:svc@127.0.0.1:5060>',
  'Call-ID: bad-1@127.0.0.1',
  'CSeq: 1 OPTIONS',
  'Max-Forwards: 70',
  'Content-Length: 0',
];

function msg(lines: string[], body = ''): string {
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

/** Replace the line starting with `prefix` (or drop it when `line` is null). */
function mutate(prefix: string, line: string | null): string {
  const out: string[] = [];
  for (const l of GOOD_LINES) {
    if (l.startsWith(prefix)) {
      if (line !== null) out.push(line);
    } else out.push(l);
  }
  return msg(out);
}

export const GOOD_OPTIONS = msg(GOOD_LINES);

export interface MalformedCase {
  name: string;
  raw: string;
  reason: RegExp;
  answerable: boolean;
}

export const MALFORMED: MalformedCase[] = [
  { name: 'empty', raw: '', reason: /empty/, answerable: false },
  { name: 'only CRLFs', raw: '\r\n\r\n\r\n', reason: /empty/, answerable: false },
  { name: 'binary junk', raw: '\x00\x01\x02\xff\xfe garbage', reason: /request line/, answerable: false },
  { name: 'HTTP request', raw: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', reason: /request line|version/i, answerable: false },
  {
    name: 'request line with two tokens',
    raw: mutate('OPTIONS', 'OPTIONS sip:svc@127.0.0.1'),
    reason: /request line/,
    answerable: true,
  },
  {
    name: 'request line with four tokens',
    raw: mutate('OPTIONS', 'OPTIONS sip:svc@127.0.0.1 SIP/2.0 extra'),
    reason: /request line/,
    answerable: true,
  },
  {
    name: 'double space in request line',
    raw: mutate('OPTIONS', 'OPTIONS  sip:svc@127.0.0.1 SIP/2.0'),
    reason: /request line/,
    answerable: true,
  },
  {
    name: 'method with illegal char',
    raw: mutate('OPTIONS', 'OPT(IONS sip:svc@127.0.0.1 SIP/2.0'),
    reason: /request line/,
    answerable: false,
  },
  {
    name: 'SIP/3.0',
    raw: mutate('OPTIONS', 'OPTIONS sip:svc@127.0.0.1 SIP/3.0'),
    reason: /version not supported/,
    answerable: true,
  },
  { name: 'version garbage', raw: mutate('OPTIONS', 'OPTIONS sip:svc@127.0.0.1 SIPX'), reason: /request line/, answerable: true },
  {
    name: 'Request-URI without scheme',
    raw: mutate('OPTIONS', 'OPTIONS svc@127.0.0.1 SIP/2.0'),
    reason: /Request-URI/,
    answerable: true,
  },
  {
    name: 'Request-URI bad host',
    raw: mutate('OPTIONS', 'OPTIONS sip:svc@bad_host!:5060 SIP/2.0'),
    reason: /Request-URI/,
    answerable: true,
  },
  {
    name: 'Request-URI port out of range',
    raw: mutate('OPTIONS', 'OPTIONS sip:svc@127.0.0.1:99999 SIP/2.0'),
    reason: /Request-URI/,
    answerable: true,
  },
  {
    name: 'Request-URI unterminated IPv6',
    raw: mutate('OPTIONS', 'OPTIONS sip:svc@[::1 SIP/2.0'),
    reason: /Request-URI/,
    answerable: true,
  },
  {
    name: 'Request-URI two @',
    raw: mutate('OPTIONS', 'OPTIONS sip:a@b@127.0.0.1 SIP/2.0'),
    reason: /Request-URI/,
    answerable: true,
  },
  {
    name: 'Request-URI empty user',
    raw: mutate('OPTIONS', 'OPTIONS sip:@127.0.0.1 SIP/2.0'),
    reason: /Request-URI/,
    answerable: true,
  },
  { name: 'missing Via', raw: mutate('Via:', null), reason: /missing Via/, answerable: false },
  { name: 'Via without sent-by', raw: mutate('Via:', 'Via: SIP/2.0/UDP'), reason: /Via/, answerable: true },
  {
    name: 'Via wrong protocol',
    raw: mutate('Via:', 'Via: SIP/1.0/UDP 127.0.0.1:5070;branch=z9hG4bK1'),
    reason: /Via/,
    answerable: true,
  },
  {
    name: 'Via bad port',
    raw: mutate('Via:', 'Via: SIP/2.0/UDP 127.0.0.1:70000;branch=z9hG4bK1'),
    reason: /Via/,
    answerable: true,
  },
  { name: 'Via param without name', raw: mutate('Via:', 'Via: SIP/2.0/UDP 127.0.0.1:5070;=x'), reason: /Via/, answerable: true },
  { name: 'missing From', raw: mutate('From:', null), reason: /missing From/, answerable: true },
  { name: 'From without URI', raw: mutate('From:', 'From: "Alice";tag=a1'), reason: /From/, answerable: true },
  {
    name: 'From unterminated display name',
    raw: mutate('From:', 'From: "Alice <sip:alice@127.0.0.1>;tag=a1'),
    reason: /From/,
    answerable: true,
  },
  { name: 'From missing >', raw: mutate('From:', 'From: <sip:alice@127.0.0.1;tag=a1'), reason: /From/, answerable: true },
  {
    name: 'two From headers',
    raw: mutate('From:', 'From: <sip:a@127.0.0.1>;tag=1\r\nFrom: <sip:b@127.0.0.1>;tag=2'),
    reason: /more than one From/,
    answerable: true,
  },
  { name: 'missing To', raw: mutate('To:', null), reason: /missing To/, answerable: true },
  { name: 'To with bad URI', raw: mutate('To:', 'To: <sip:>'), reason: /To/, answerable: true },
  { name: 'missing Call-ID', raw: mutate('Call-ID:', null), reason: /missing Call-ID/, answerable: true },
  { name: 'Call-ID with space', raw: mutate('Call-ID:', 'Call-ID: a b'), reason: /Call-ID/, answerable: true },
  { name: 'empty Call-ID', raw: mutate('Call-ID:', 'Call-ID:'), reason: /Call-ID/, answerable: true },
  { name: 'missing CSeq', raw: mutate('CSeq:', null), reason: /missing CSeq/, answerable: true },
  { name: 'CSeq without number', raw: mutate('CSeq:', 'CSeq: OPTIONS'), reason: /CSeq/, answerable: true },
  { name: 'CSeq negative', raw: mutate('CSeq:', 'CSeq: -1 OPTIONS'), reason: /CSeq/, answerable: true },
  { name: 'CSeq too large', raw: mutate('CSeq:', 'CSeq: 4294967296 OPTIONS'), reason: /CSeq/, answerable: true },
  { name: 'CSeq method mismatch', raw: mutate('CSeq:', 'CSeq: 1 INVITE'), reason: /CSeq method/, answerable: true },
  {
    name: 'Max-Forwards not a number',
    raw: mutate('Max-Forwards:', 'Max-Forwards: seventy'),
    reason: /Max-Forwards/,
    answerable: true,
  },
  {
    name: 'Content-Length not a number',
    raw: mutate('Content-Length:', 'Content-Length: abc'),
    reason: /Content-Length/,
    answerable: true,
  },
  {
    name: 'Content-Length negative',
    raw: mutate('Content-Length:', 'Content-Length: -5'),
    reason: /Content-Length/,
    answerable: true,
  },
  {
    name: 'Content-Length longer than body',
    raw: mutate('Content-Length:', 'Content-Length: 50'),
    reason: /shorter than Content-Length/,
    answerable: true,
  },
  {
    name: 'conflicting Content-Length',
    raw: mutate('Content-Length:', 'Content-Length: 0\r\nl: 3'),
    reason: /conflicting/,
    answerable: true,
  },
  {
    name: 'header line without colon',
    raw: mutate('Max-Forwards:', 'Max-Forwards 70'),
    reason: /malformed header line/,
    answerable: true,
  },
  {
    name: 'header name with space inside',
    raw: mutate('Max-Forwards:', 'Max Forwards: 70'),
    reason: /header name/,
    answerable: true,
  },
  { name: 'empty header name', raw: mutate('Max-Forwards:', ': 70'), reason: /malformed header line/, answerable: true },
  {
    name: 'NUL in a header value',
    raw: mutate('Max-Forwards:', 'Subject: a\x00b'),
    reason: /control characters/,
    answerable: true,
  },
  { name: 'no blank line after headers', raw: GOOD_LINES.join('\r\n'), reason: /empty line/, answerable: true },
  { name: 'Contact garbage', raw: mutate('Max-Forwards:', 'Contact: <sip:alice@127.0.0.1'), reason: /Contact/, answerable: true },
  { name: 'status line with bad code', raw: 'SIP/2.0 2000 OK\r\n\r\n', reason: /status line/, answerable: false },
  {
    name: 'status code out of range',
    raw: 'SIP/2.0 700 Weird\r\nContent-Length: 0\r\n\r\n',
    reason: /status line/,
    answerable: false,
  },
  {
    name: 'response without Via',
    raw: 'SIP/2.0 200 OK\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n',
    reason: /missing Via/,
    answerable: false,
  },
  { name: 'response with SIP/1.0', raw: 'SIP/1.0 200 OK\r\n\r\n', reason: /status line/, answerable: false },
  {
    name: 'folded line before any header',
    raw: 'OPTIONS sip:svc@127.0.0.1 SIP/2.0\r\n  folded\r\n' + GOOD_LINES.slice(1).join('\r\n') + '\r\n\r\n',
    reason: /continuation/,
    answerable: true,
  },
];
