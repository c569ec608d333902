/**
 * What the transport layer does to a received request before anyone sees it: RFC 3581
 * rport/received on the top Via (as the real drachtio-server does, `rport=<port>` is added even
 * when the client did not ask), and the 400 it answers for a request it could not parse.
 */

import { randomBytes } from 'node:crypto';
import { SipResponse, normalizeHeaderName, type SipHeader, type TransportAddress } from '../message.js';
import { getTag, parseVia, splitOutsideQuotes, type SipParseError } from '../grammar.js';
import { bareHost } from './listen-spec.js';

/** Index where the first comma-separated value of a header value ends. */
function firstValueEnd(value: string): number {
  try {
    const parts = splitOutsideQuotes(value, ',', 'Via');
    return parts[0]!.length;
  } catch {
    return value.length;
  }
}

/** Rewrites one top-Via text; returns undefined when it does not parse. */
export function stampViaText(top: string, remote: TransportAddress): string | undefined {
  let via;
  try {
    via = parseVia(top);
  } catch {
    return undefined;
  }
  let text = top.replace(/\s+$/, '');
  const rportRe = /;\s*rport(?:\s*=\s*[^;,\s]*)?(?=\s*(?:;|$))/i;
  text = rportRe.test(text) ? text.replace(rportRe, `;rport=${remote.port}`) : `${text};rport=${remote.port}`;
  const srcIp = bareHost(remote.host);
  if (bareHost(via.host).toLowerCase() !== srcIp.toLowerCase()) {
    const recRe = /;\s*received\s*=\s*[^;,\s]*(?=\s*(?:;|$))/i;
    text = recRe.test(text) ? text.replace(recRe, `;received=${srcIp}`) : `${text};received=${srcIp}`;
  }
  return text;
}

/** Applies RFC 3581 to the first Via value of a received request, keeping the rest of the text as sent. */
export function stampReceivedVia(req: { headers: SipHeader[] }, remote: TransportAddress): void {
  const idx = req.headers.findIndex((h) => normalizeHeaderName(h.name) === 'via');
  if (idx < 0) return;
  const h = req.headers[idx]!;
  const end = firstValueEnd(h.value);
  const stamped = stampViaText(h.value.slice(0, end), remote);
  if (stamped === undefined) return;
  req.headers[idx] = { name: h.name, value: stamped + h.value.slice(end) };
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 505: 'Version Not Supported', 513: 'Message Too Large' };

/** A 400 (or 505/513) for a request that failed to parse, or undefined when it cannot be answered. */
export function buildBadRequestResponse(err: SipParseError, remote: TransportAddress): SipResponse | undefined {
  const p = err.partial;
  if (!p || p.method === 'ACK') return undefined;
  const find = (n: string): SipHeader[] => p.headers.filter((h) => normalizeHeaderName(h.name) === n);
  const vias = find('via');
  const from = find('from')[0];
  const to = find('to')[0];
  const callId = find('call-id')[0];
  const cseq = find('cseq')[0];
  // only a Via is indispensable (the peer matches the response by its branch); the rest is echoed when present
  if (vias.length === 0) return undefined;
  const problem = err.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
  const res = new SipResponse(err.statusCode, `${REASONS[err.statusCode] ?? 'Bad Request'} (${problem})`);
  const copy = { headers: vias.map((v) => ({ ...v })) };
  stampReceivedVia(copy, remote);
  res.headers = copy.headers;
  if (from) res.headers.push({ name: 'From', value: from.value });
  if (to)
    res.headers.push({
      name: 'To',
      value: getTag(to.value) === undefined ? `${to.value};tag=${randomBytes(6).toString('hex')}` : to.value,
    });
  if (callId) res.headers.push({ name: 'Call-ID', value: callId.value });
  if (cseq) res.headers.push({ name: 'CSeq', value: cseq.value });
  res.headers.push({ name: 'Content-Length', value: '0' });
  return res;
}
