/**
 * Writes a SipMessage to wire bytes. Headers go out in their order and spelling; Content-Length
 * is always made to match the body, because a stale length on a stream transport desynchronises
 * every message after it.
 */

import { SipRequest, normalizeHeaderName, type SipMessage, type SipResponse } from './message.js';

export function serializeMessage(msg: SipMessage): Buffer {
  const startLine =
    msg instanceof SipRequest
      ? `${msg.method} ${msg.uri} SIP/2.0`
      : `SIP/2.0 ${(msg as SipResponse).status} ${(msg as SipResponse).reason}`;
  const bodyLen = String(msg.body.length);
  let head = startLine + '\r\n';
  let clWritten = false;
  for (const h of msg.headers) {
    // only 1- and 14-letter names can be Content-Length; skip normalising the rest
    if ((h.name.length === 1 || h.name.length === 14) && normalizeHeaderName(h.name) === 'content-length') {
      if (clWritten) continue;
      clWritten = true;
      head += `${h.name}: ${bodyLen}\r\n`;
    } else head += `${h.name}: ${h.value}\r\n`;
  }
  if (!clWritten) head += `Content-Length: ${bodyLen}\r\n`;
  head += '\r\n';
  const headBuf = Buffer.from(head, 'utf8');
  return msg.body.length > 0 ? Buffer.concat([headBuf, msg.body]) : headBuf;
}
