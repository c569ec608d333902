/**
 * Out-of-dialog OPTIONS: carriers and load balancers probe with it to see whether we are alive,
 * so it is answered 200 at once with what we can do (RFC 3261 §11.2).
 */
import type Srf from 'drachtio-srf';
import { reply } from './reply.js';

export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'REGISTER', 'UPDATE'];
export const ACCEPTED_TYPES = ['application/sdp', 'application/dtmf-relay', 'application/dtmf'];

export function capabilityHeaders(): Record<string, string> {
  return {
    Allow: ALLOWED_METHODS.join(', '),
    Accept: ACCEPTED_TYPES.join(', '),
    'Accept-Language': 'en',
    Supported: 'path, outbound',
  };
}

export function handleOptions(_req: Srf.SrfRequest, res: Srf.SrfResponse): void {
  reply(res, 200, undefined, capabilityHeaders());
}
