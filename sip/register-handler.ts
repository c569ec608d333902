/**
 * REGISTER on the wire: digest challenge and verification against the configured users, then
 * the binding update in the Registrar, answered with every current contact and its expiry.
 */
import type Srf from 'drachtio-srf';
import { pino, type Logger } from 'pino';
import type { DigestServer } from './digest.js';
import { parseContactList, parseNameAddr, parseSipUri } from './name-addr.js';
import type { Registrar } from './registrar.js';
import { sourceOf } from './source.js';
import { reply } from './reply.js';

export interface RegisterHandlerOptions {
  registrar: Registrar;
  digest: DigestServer;
  passwordFor: (username: string) => string | undefined;
  logger?: Logger;
}

export class RegisterHandler {
  private readonly logger: Logger;

  constructor(private readonly opts: RegisterHandlerOptions) {
    this.logger = opts.logger ?? pino({ level: 'silent' });
  }

  handle(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    try {
      this.process(req, res);
    } catch (err) {
      this.logger.warn({ err }, 'REGISTER handling failed');
      reply(res, 500);
    }
  }

  private process(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const to = parseNameAddr(req.get('To') ?? '');
    const aor = to ? parseSipUri(to.uri) : undefined;
    if (!aor?.user || (aor.scheme !== 'sip' && aor.scheme !== 'sips')) {
      reply(res, 400, 'Bad To Header');
      return;
    }
    const verdict = this.opts.digest.verify('REGISTER', req.get('Authorization'), this.opts.passwordFor);
    if (!verdict.ok) {
      if (verdict.reason === 'missing' || verdict.reason === 'stale' || verdict.reason === 'invalid-nonce') {
        reply(res, 401, undefined, { 'WWW-Authenticate': this.opts.digest.challenge({ stale: verdict.reason === 'stale' }) });
      } else {
        this.logger.info({ user: aor.user, reason: verdict.reason, source: req.source_address }, 'REGISTER refused');
        reply(res, 403, 'Forbidden');
      }
      return;
    }
    // Credentials for one user may not register another user's address-of-record.
    if (verdict.username !== aor.user) {
      reply(res, 403, 'Forbidden');
      return;
    }
    const contactHeader = req.get('Contact');
    const contacts = contactHeader ? parseContactList(contactHeader) : [];
    if (contacts === undefined) {
      reply(res, 400, 'Bad Contact Header');
      return;
    }
    const expiresHeader = req.get('Expires');
    let expires: number | undefined;
    if (expiresHeader !== undefined) {
      expires = Number(expiresHeader.trim());
      if (!/^\d+$/.test(expiresHeader.trim())) {
        reply(res, 400, 'Bad Expires Header');
        return;
      }
    }
    const cseq = parseInt(req.get('CSeq') ?? '', 10);
    const outcome = this.opts.registrar.register({
      user: aor.user,
      contacts,
      expires,
      callId: req.get('Call-ID') ?? '',
      cseq: Number.isFinite(cseq) ? cseq : 0,
      source: sourceOf(req),
      userAgent: req.get('User-Agent'),
    });
    switch (outcome.status) {
      case 200: {
        const headers: Record<string, string> = {};
        if (outcome.bindings.length > 0) {
          headers.Contact = outcome.bindings.map((b) => `<${b.contact}>;expires=${b.expires}`).join(', ');
        }
        headers.Date = new Date().toUTCString();
        this.logger.debug({ user: aor.user, bindings: outcome.bindings.length }, 'REGISTER accepted');
        reply(res, 200, undefined, headers);
        return;
      }
      case 423:
        reply(res, 423, 'Interval Too Brief', { 'Min-Expires': String(outcome.minExpires) });
        return;
      default:
        reply(res, outcome.status, outcome.reason);
    }
  }
}
