/**
 * An out-of-dialog SIP MESSAGE (RFC 3428) from a trunk: who sent it to which number, and its body.
 * The application decides; `respond` sends the one final response (2xx means it was taken).
 */
import type Srf from 'drachtio-srf';
import { parseNameAddr, parseSipUri } from './name-addr.js';
import { reply } from './reply.js';

export class InboundMessage {
  /** User part of From (the sender's number). */
  readonly from: string;
  /** User part of the Request-URI (the number it was sent to). */
  readonly to: string;
  /** Media type without parameters, lowercased (`text/plain`). */
  readonly contentType: string;
  readonly charset: string | undefined;
  readonly body: string;

  constructor(
    private readonly res: Srf.SrfResponse,
    req: Srf.SrfRequest,
    readonly trunk: string,
  ) {
    const from = parseNameAddr(req.get('From') ?? '');
    this.from = decodeURIComponent((from && parseSipUri(from.uri)?.user) ?? '');
    this.to = decodeURIComponent(parseSipUri(req.uri)?.user ?? '');
    const ct = (req.get('Content-Type') ?? '').split(';');
    this.contentType = (ct[0] ?? '').trim().toLowerCase();
    this.charset = ct
      .slice(1)
      .map((p) => p.trim().toLowerCase())
      .find((p) => p.startsWith('charset='))
      ?.slice(8)
      .replace(/"/g, '');
    this.body = String(req.body ?? '');
  }

  respond(status: number, reason?: string): void {
    reply(this.res, status, reason);
  }
}
