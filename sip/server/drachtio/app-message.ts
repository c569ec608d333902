/**
 * Lenient parsing of the SIP text inside app frames. srf sends deliberately incomplete messages
 * (no Via, no To-tag, sometimes no From), which the wire parser rightly rejects; here only the start
 * line must be well formed, and the body is whatever follows the blank line.
 */
import { SipRequest, SipResponse } from '../message.js';

export class AppMessageError extends Error {}

export function parseAppMessage(text: string): SipRequest | SipResponse {
  const sep = text.indexOf('\r\n\r\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 4);
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  let msg: SipRequest | SipResponse;
  const st = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/.exec(start);
  if (st) msg = new SipResponse(Number(st[1]), st[2] ?? '');
  else {
    const rq = /^([A-Za-z!%*_+`'~.-]+) (\S+) SIP\/2\.0$/.exec(start);
    if (!rq) throw new AppMessageError(`malformed start line`);
    msg = new SipRequest(rq[1]!, rq[2]!);
  }
  for (const line of lines) {
    if (line.length === 0) continue;
    if ((line[0] === ' ' || line[0] === '\t') && msg.headers.length > 0) {
      const last = msg.headers[msg.headers.length - 1]!;
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new AppMessageError(`malformed header line`);
    msg.headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  msg.body = Buffer.from(body, 'utf8');
  return msg;
}
