/**
 * Parses one SIP message (RFC 3261 §7) from a datagram or a stream frame. Header names and
 * values are kept as sent (folding unfolded); the mandatory request headers are validated so
 * that a broken request can still be answered with 400 from the `partial` headers.
 */

import { SipRequest, SipResponse, normalizeHeaderName, splitHeaderList, type SipHeader } from './message.js';
import { SipParseError, isToken, parseCSeq, parseNameAddr, parseUri, parseVia } from './grammar.js';

export { SipParseError } from './grammar.js';

const DEFAULT_MAX_SIZE = 65535;
const CRLF2 = Buffer.from('\r\n\r\n');
const LF2 = Buffer.from('\n\n');

function findHeaderEnd(buf: Buffer, from: number): { end: number; bodyStart: number } | undefined {
  const a = buf.indexOf(CRLF2, from);
  const b = buf.indexOf(LF2, from);
  if (a < 0 && b < 0) return undefined;
  if (b < 0 || (a >= 0 && a < b)) return { end: a, bodyStart: a + 4 };
  return { end: b, bodyStart: b + 2 };
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
}

/** Request-URI checks: sip/sips/tel must parse and carry no headers (RFC 3261 §19.1.5); other schemes need scheme syntax. */
function checkRequestUri(uri: string, fail: (r: string) => void): void {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (!scheme) {
    fail('malformed Request-URI');
    return;
  }
  if (/^sips?$|^tel$/i.test(scheme[1]!)) {
    try {
      if (Object.keys(parseUri(uri).headers).length > 0) fail('headers in the Request-URI');
    } catch (e) {
      fail(`bad Request-URI: ${(e as Error).message}`);
    }
  } else if (/[\x00-\x20\x7f<>"]/.test(uri)) fail('malformed Request-URI');
}

/**
 * Control characters other than HTAB are allowed only as a quoted-pair inside a quoted string
 * (RFC 3261 §25.1; RFC 4475 §3.1.1.2 puts BEL, NUL and DEL in a display name that way).
 */
function hasBareControl(value: string): boolean {
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote && c === 0x5c) {
      const n = value.charCodeAt(i + 1);
      if (n === 0x0a || n === 0x0d || Number.isNaN(n)) return true;
      i++;
      continue;
    }
    if (c === 0x22) inQuote = !inQuote;
    else if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/**
 * Headers a 400 needs. A parseable Via set is kept as is; the other headers are echoed as received
 * when they are at least printable, so that a request with a broken From or CSeq is still answered
 * (RFC 4475 §3.1.2.4, §3.1.2.6) rather than dropped in silence.
 */
function rescueHeaders(headers: SipHeader[]): SipHeader[] {
  const out: SipHeader[] = [];
  for (const h of headers) {
    const n = normalizeHeaderName(h.name);
    if (n !== 'via' && n !== 'from' && n !== 'to' && n !== 'cseq' && n !== 'call-id') continue;
    if (h.value.length === 0 || h.value.length > 1024 || /[\x00-\x1f\x7f]/.test(h.value)) continue;
    // a Via that does not parse is echoed too: the 400 goes back to the source address anyway
    if (n === 'call-id' && !/^\S+$/.test(h.value)) continue;
    if (n !== 'via' && out.some((x) => normalizeHeaderName(x.name) === n)) continue;
    out.push({ name: h.name, value: h.value });
  }
  return out;
}

export function parseMessage(data: Buffer | string, opts?: { maxSize?: number }): SipRequest | SipResponse {
  const whole = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const maxSize = opts?.maxSize ?? DEFAULT_MAX_SIZE;
  // an oversized request is still read up to maxSize, so that its headers can carry a 513
  const tooLarge = whole.length > maxSize;
  const buf = tooLarge ? whole.subarray(0, maxSize) : whole;
  // CRLFs before the start line are ignored (RFC 3261 §7.5)
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start >= buf.length) throw new SipParseError('empty message');
  const he = findHeaderEnd(buf, start);
  const headEnd = he ? he.end : buf.length;
  const head = buf.toString('utf8', start, headEnd);
  const lines = head.split(/\r?\n/);
  const startLine = lines[0]!;

  let method: string | undefined;
  let msg: SipRequest | SipResponse | undefined;
  let firstError: string | undefined;
  const fail = (reason: string): void => {
    if (firstError === undefined) firstError = reason;
  };
  if (tooLarge) fail(`message too large (${whole.length} > ${maxSize} bytes)`);

  if (startLine.startsWith('SIP/')) {
    const m = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/.exec(startLine);
    if (!m) throw new SipParseError(`malformed status line "${printable(startLine)}"`);
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(m[2] ?? '')) throw new SipParseError('control characters in reason phrase');
    msg = new SipResponse(Number(m[1]), m[2] ?? '');
  } else {
    const parts = startLine.split(' ');
    const sp = startLine.indexOf(' ');
    method = sp > 0 ? startLine.slice(0, sp) : startLine;
    if (!isToken(method)) throw new SipParseError(`malformed request line "${printable(startLine)}"`);
    if (parts.length !== 3) {
      // LWS inside the Request-URI or doubled spaces (RFC 4475 §3.1.2.8, §3.1.2.9): still answer 400
      fail(`malformed request line "${printable(startLine)}"`);
      msg = new SipRequest(method, parts[1] ?? '');
    } else {
      const [, uri, version] = parts as [string, string, string];
      msg = new SipRequest(method, uri);
      if (!/^SIP\/\d+\.\d+$/i.test(version)) fail(`malformed request line "${printable(startLine)}"`);
      else if (version.toUpperCase() !== 'SIP/2.0') fail('SIP version not supported');
      checkRequestUri(uri, fail);
    }
  }

  const headers: SipHeader[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) continue;
    if (line[0] === ' ' || line[0] === '\t') {
      const prev = headers[headers.length - 1];
      if (!prev) {
        fail('continuation line before the first header');
        continue;
      }
      const cont = line.trim();
      if (cont.length > 0) prev.value = prev.value.length > 0 ? `${prev.value} ${cont}` : cont;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      fail(`malformed header line "${printable(line)}"`);
      continue;
    }
    const name = line.slice(0, colon).replace(/[ \t]+$/, '');
    if (!isToken(name)) {
      fail(`invalid header name "${printable(name)}"`);
      continue;
    }
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  const byName = new Map<string, string[]>();
  // one scan of the whole head; only a hit pays for finding the culprit header
  const dirty = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)/.test(head);
  for (const h of headers) {
    if (dirty && hasBareControl(h.value)) fail(`control characters in ${h.name}`);
    const n = normalizeHeaderName(h.name);
    const list = byName.get(n);
    if (list) list.push(h.value);
    else byName.set(n, [h.value]);
  }
  msg.headers = headers;

  if (!he) fail('missing empty line after the headers');

  // Content-Length and body (RFC 3261 §18.3: shorter is an error, longer is truncated)
  const bodyStart = he ? he.bodyStart : buf.length;
  let available = buf.length - bodyStart;
  const clValues = byName.get('content-length') ?? [];
  let bodyLen = available;
  if (clValues.length > 0) {
    if (clValues.some((v) => !/^\d{1,10}$/.test(v))) fail('malformed Content-Length');
    else if (new Set(clValues.map(Number)).size > 1) fail('conflicting Content-Length headers');
    else {
      const cl = Number(clValues[0]);
      if (cl > available) fail(`body shorter than Content-Length (${available} < ${cl})`);
      else bodyLen = cl;
    }
  }
  if (available < 0) available = 0;
  msg.body = Buffer.from(buf.subarray(bodyStart, bodyStart + Math.max(0, Math.min(bodyLen, available))));

  if (msg instanceof SipRequest) validateRequest(msg, byName, fail);
  else validateCommon(byName, fail);

  if (firstError !== undefined) {
    const err = new SipParseError(firstError);
    if (firstError === 'SIP version not supported') err.statusCode = 505;
    if (tooLarge) err.statusCode = 513;
    if (msg instanceof SipRequest) err.partial = { method: method!, headers: rescueHeaders(headers) };
    throw err;
  }
  return msg;
}

type HeaderIndex = Map<string, string[]>;

function single(byName: HeaderIndex, name: string, fail: (r: string) => void): string | undefined {
  const values = byName.get(name.toLowerCase());
  if (!values) {
    fail(`missing ${name} header`);
    return undefined;
  }
  if (values.length > 1) {
    fail(`more than one ${name} header`);
    return undefined;
  }
  return values[0]!;
}

function listValues(byName: HeaderIndex, name: string): string[] {
  const out: string[] = [];
  for (const v of byName.get(name) ?? []) out.push(...splitHeaderList(v));
  return out;
}

function validateCommon(byName: HeaderIndex, fail: (r: string) => void): { seq: number; method: string } | undefined {
  const vias = listValues(byName, 'via');
  if (vias.length === 0) fail('missing Via header');
  for (const v of vias) {
    try {
      parseVia(v);
    } catch (e) {
      fail(`bad Via: ${(e as Error).message}`);
      break;
    }
  }
  for (const name of ['From', 'To']) {
    const v = single(byName, name, fail);
    if (v !== undefined) {
      try {
        parseNameAddr(v);
      } catch (e) {
        fail(`bad ${name}: ${(e as Error).message}`);
      }
    }
  }
  const callId = single(byName, 'Call-ID', fail);
  if (callId !== undefined && !/^[\x21-\x7e]+$/.test(callId)) fail('malformed Call-ID');
  const cseq = single(byName, 'CSeq', fail);
  if (cseq === undefined) return undefined;
  try {
    return parseCSeq(cseq);
  } catch (e) {
    fail(`bad CSeq: ${(e as Error).message}`);
    return undefined;
  }
}

function validateRequest(req: SipRequest, byName: HeaderIndex, fail: (r: string) => void): void {
  const cseq = validateCommon(byName, fail);
  if (cseq && cseq.method !== req.method) fail('CSeq method does not match the request line');
  const mf = byName.get('max-forwards')?.[0];
  // 1*DIGIT, so "0068" is 68; over 255 is an overlarge scalar (RFC 4475 §3.1.2.4)
  if (mf !== undefined && (!/^\d{1,10}$/.test(mf) || Number(mf) > 255)) fail('malformed Max-Forwards');
  for (const c of listValues(byName, 'contact')) {
    if (c === '*') continue;
    try {
      parseNameAddr(c);
    } catch (e) {
      fail(`bad Contact: ${(e as Error).message}`);
      break;
    }
  }
}
