/**
 * REGISTER on the wire: digest authentication through the shared `SipAuthenticator`, then the
 * binding update in the Registrar, answered with every current contact and its expiry. Each
 * REGISTER's outcome is logged once: authentication failures at warn (by the authenticator),
 * everything the registrar decided at info with the fields an operator greps for.
 */
import type Srf from 'drachtio-srf';
import { pino, type Logger } from 'pino';
import { parseContactList, parseNameAddr, parseSipUri, type NameAddr } from './name-addr.js';
import type { Registrar, RegisterOutcome } from './registrar.js';
import type { SipAuthenticator } from './sip-auth.js';
import { sourceOf } from './source.js';
import { reply } from './reply.js';

export interface RegisterHandlerOptions {
  registrar: Registrar;
  auth: SipAuthenticator;
  logger?: Logger;
}

export class RegisterHandler {
  private readonly logger: Logger;

  constructor(private readonly opts: RegisterHandlerOptions) {
    this.logger = opts.logger ?? pino({ level: 'silent' });
  }

  handle(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    this.process(req, res).catch((err: unknown) => {
      this.logger.warn({ err }, 'REGISTER handling failed');
      reply(res, 500);
    });
  }

  private async process(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const to = parseNameAddr(req.get('To') ?? '');
    const aor = to ? parseSipUri(to.uri) : undefined;
    if (!aor?.user || (aor.scheme !== 'sip' && aor.scheme !== 'sips')) {
      reply(res, 400, 'Bad To Header');
      return;
    }
    const auth = await this.opts.auth.authenticate(req, res, 'registrar', aor.user);
    if (!auth.ok) return;
    const source = sourceOf(req);
    const fields = { user: aor.user, source: `${source.transport}:${source.host}:${source.port}` };
    // Credentials for one user may not register another user's address-of-record.
    if (auth.user !== aor.user) {
      this.logger.warn({ ...fields, authenticatedAs: auth.user, result: 403 }, 'REGISTER refused: credentials of another user');
      reply(res, 403, 'Forbidden');
      return;
    }
    const contactHeader = req.get('Contact');
    const contacts = contactHeader ? parseContactList(contactHeader) : [];
    if (contacts === undefined) {
      this.logger.info({ ...fields, contact: contactHeader, result: 400 }, 'REGISTER refused: bad Contact');
      reply(res, 400, 'Bad Contact Header');
      return;
    }
    const expiresHeader = req.get('Expires')?.trim();
    if (expiresHeader !== undefined && !/^\d+$/.test(expiresHeader)) {
      this.logger.info({ ...fields, result: 400 }, 'REGISTER refused: bad Expires');
      reply(res, 400, 'Bad Expires Header');
      return;
    }
    const expires = expiresHeader !== undefined ? Number(expiresHeader) : undefined;
    const cseq = parseInt(req.get('CSeq') ?? '', 10);
    const outcome = this.opts.registrar.register({
      user: aor.user,
      contacts,
      expires,
      callId: req.get('Call-ID') ?? '',
      cseq: Number.isFinite(cseq) ? cseq : 0,
      source,
      userAgent: req.get('User-Agent'),
      displayName: auth.displayName,
      authUser: auth.authUser,
    });
    this.logOutcome(fields, contacts, outcome);
    switch (outcome.status) {
      case 200: {
        const headers: Record<string, string> = {};
        if (outcome.bindings.length > 0) {
          headers.Contact = outcome.bindings.map((b) => `<${b.contact}>;expires=${b.expires}`).join(', ');
        }
        headers.Date = new Date().toUTCString();
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

  /** One info line per REGISTER the registrar decided: user, contact, source, expires, result. */
  private logOutcome(fields: { user: string; source: string }, contacts: NameAddr[] | '*', outcome: RegisterOutcome): void {
    const contact = contacts === '*' ? '*' : contacts.map((c) => c.uri).join(', ');
    if (outcome.status !== 200) {
      const reason = outcome.status === 423 ? 'Interval Too Brief' : outcome.reason;
      this.logger.info({ ...fields, contact, result: outcome.status, reason }, 'REGISTER refused');
      return;
    }
    if (contacts === '*' || contacts.length === 0) {
      const what = contacts === '*' ? 'unregistered' : 'queried';
      this.logger.info({ ...fields, contact, expires: 0, bindings: outcome.bindings.length, result: 200 }, `REGISTER ${what}`);
      return;
    }
    // The expiry granted to the first contact asked for (0 when it was removed).
    const first = outcome.bindings.find((b) => b.contact === contacts[0]!.uri);
    const expires = first?.expires ?? 0;
    this.logger.info(
      { ...fields, contact, expires, bindings: outcome.bindings.length, result: 200 },
      expires > 0 ? 'REGISTER registered' : 'REGISTER unregistered',
    );
  }
}
