/**
 * Responses the server builds itself (100 Trying, 481, 487, 503, 200 to CANCEL, synthesized 408/503
 * for the app) from the request they answer.
 */
import { SipResponse, type SipRequest } from '../message.js';
import { withTag } from './complete.js';

export const REASONS: Record<number, string> = {
  100: 'Trying',
  200: 'OK',
  400: 'Bad Request',
  408: 'Request Timeout',
  481: 'Call/Transaction Does Not Exist',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  483: 'Too Many Hops',
  487: 'Request Terminated',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** A response carrying Via/From/To/Call-ID/CSeq of `req`; `toTag` is added unless the To has one. */
export function makeResponse(req: SipRequest, status: number, toTag?: string, reason?: string): SipResponse {
  const res = new SipResponse(status, reason ?? REASONS[status] ?? 'Unknown');
  for (const v of req.getAll('via')) res.append('Via', v);
  res.append('From', req.get('from') ?? '');
  const to = req.get('to') ?? '';
  res.append('To', toTag && status > 100 ? withTag(to, toTag) : to);
  res.append('Call-ID', req.callId);
  res.append('CSeq', req.get('cseq') ?? '');
  res.append('Content-Length', '0');
  return res;
}
