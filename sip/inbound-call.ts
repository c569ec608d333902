/**
 * An INVITE that arrived and was admitted (trunk source or authenticated user), waiting for the
 * call layer to ring, answer or reject it. Emits `cancel` when the caller gives up first.
 */
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { pino, type Logger } from 'pino';
import { SipCallError, SipLeg, toCallError } from './legs.js';
import { parseNameAddr, parseSipUri } from './name-addr.js';
import { reply } from './reply.js';

export type CallOrigin = { kind: 'trunk'; trunk: string } | { kind: 'user'; user: string };

export interface CallParty {
  user?: string;
  uri: string;
  displayName?: string;
}

export class InboundCall extends EventEmitter<{ cancel: [] }> {
  readonly callId: string;
  readonly from: CallParty;
  readonly to: { user?: string; uri: string };
  /** The `To` header's party: carriers that send to our registered Contact put the DID here. */
  readonly toHeader: { user?: string; uri: string };
  readonly transport: string;
  readonly offer: string;
  readonly source: { host: string; port: number };
  private settled = false;
  private canceled = false;
  private readonly logger: Logger;

  constructor(
    private readonly srf: Srf,
    readonly req: Srf.SrfRequest,
    private readonly res: Srf.SrfResponse,
    readonly origin: CallOrigin,
    logger?: Logger,
    /** The authenticated caller: replaces From's user and display name, which the phone could set to anything. */
    identity?: { user: string; displayName?: string },
  ) {
    super();
    this.callId = req.get('Call-ID') ?? '';
    this.logger = (logger ?? pino({ level: 'silent' })).child({ callId: this.callId });
    const from = parseNameAddr(req.get('From') ?? '');
    this.from = identity
      ? { uri: from?.uri ?? '', user: identity.user, displayName: identity.displayName ?? from?.displayName }
      : { uri: from?.uri ?? '', user: from ? parseSipUri(from.uri)?.user : undefined, displayName: from?.displayName };
    // The dialed number is the Request-URI user; To is only a display hint and often stale after forwarding.
    const ruri = parseSipUri(req.uri);
    const to = parseNameAddr(req.get('To') ?? '');
    const toUser = to ? parseSipUri(to.uri)?.user : undefined;
    this.to = { uri: req.uri, user: ruri?.user ?? toUser };
    this.toHeader = { uri: to?.uri ?? '', user: toUser };
    this.transport = (req.protocol || 'udp').toLowerCase();
    this.offer = req.body ?? '';
    this.source = { host: req.source_address, port: Number(req.source_port) };
    req.on('cancel', () => {
      if (this.settled) return;
      this.canceled = true;
      this.settled = true;
      this.logger.debug('caller canceled');
      this.emit('cancel');
    });
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** 180 Ringing, or 183 Session Progress with early media when an SDP is given. */
  ringing(sdp?: string): void {
    if (this.settled) return;
    if (sdp) this.res.send(183, { body: sdp, headers: { 'Content-Type': 'application/sdp' } });
    else this.res.send(180, {});
  }

  async answer(sdp: string, headers: Record<string, string> = {}): Promise<SipLeg> {
    if (this.canceled) throw new SipCallError(487, 'Request Terminated');
    if (this.settled) throw new SipCallError(500, 'Already Answered Or Rejected');
    this.settled = true;
    try {
      const dialog = await this.srf.createUAS(this.req, this.res, {
        localSdp: sdp,
        headers: { 'Content-Type': 'application/sdp', ...headers },
      });
      return new SipLeg(dialog, this.logger);
    } catch (err) {
      throw toCallError(err);
    }
  }

  reject(status: number, reason?: string, headers?: Record<string, string>): void {
    if (this.settled) return;
    this.settled = true;
    const code = status >= 300 && status < 700 ? status : 500;
    try {
      reply(this.res, code, reason, headers);
    } catch (err) {
      this.logger.warn({ err, status }, 'reject failed');
    }
  }
}
