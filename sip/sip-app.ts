/**
 * The drachtio-srf application: OPTIONS, the registrar, trunks, and calls in both directions.
 * Inbound INVITEs are admitted (trunk source, or digest-authenticated user) and handed to the
 * call layer as `call` events; outbound calls go to registered users, through trunks, or to URIs.
 */
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { pino, type Logger } from 'pino';
import type { TrunkConfig } from '../config/schema.js';
import type { AuthThrottle } from './auth-throttle.js';
import { DigestServer, type OfferedAlgorithm } from './digest-server.js';
import { InboundCall } from './inbound-call.js';
import { InboundMessage } from './inbound-message.js';
import { SipCallError, type SipLeg } from './legs.js';
import { handleOptions } from './options.js';
import { forkCall, placeCall, type OutboundCall } from './outbound.js';
import { RegisterHandler } from './register-handler.js';
import { Registrar } from './registrar.js';
import { SipAuthenticator, type CredentialLookup, type SipAuthStats } from './sip-auth.js';
import { reply } from './reply.js';
import { proxyUriFor } from './source.js';
import { formatNameAddr as nameAddr, parseNameAddr, parseSipUri } from './name-addr.js';
import { srfRegisterSender, Trunks } from './trunks.js';
import { SipResolver } from './server/resolver.js';

export { InboundCall, type CallOrigin, type CallParty } from './inbound-call.js';
export { InboundMessage } from './inbound-message.js';
export { SipLeg, SipCallError } from './legs.js';
export type { OutboundCall } from './outbound.js';
export { Registrar, type Binding, type BindingSource } from './registrar.js';
export { AuthThrottle, type AuthThrottleOptions, type AuthThrottleStats } from './auth-throttle.js';
export { staticCredentials, type CredentialLookup, type UserCredentials, type SipAuthStats } from './sip-auth.js';

export interface SipAppOptions {
  realm: string;
  /** Phones' and browsers' credentials (and display names), looked up per authentication. */
  credentials: CredentialLookup;
  /** Failure throttling, shared with the HTTP API's logins so guesses add up across both. */
  throttle: AuthThrottle;
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  trunks: TrunkConfig[];
  /** DNS servers for resolving trunk hosts (SRV, A/AAAA); the system's when empty. */
  dnsServers?: string[];
  logger?: Logger;
  /** Digest algorithms offered, preferred first (`registrar.digestAlgorithms`). */
  digestAlgorithms: OfferedAlgorithm[];
  /** Nonce lifetime before `stale=true` (`registrar.nonceLifetimeSeconds`). */
  nonceTtlMs: number;
  /** Accept digest answers without qop (RFC 2069), each nonce then single-use (`registrar.acceptRfc2069`). */
  acceptRfc2069: boolean;
  /** Trunk registration retry backoff. Default 2 s doubling to 5 min. */
  trunkRetry?: { baseMs: number; maxMs: number };
  /** A trunk REGISTER with no final response in this time counts as failed. Default 32 s. */
  trunkRequestTimeoutMs?: number;
}

/** `contact`: ring only that registration of the user (the caller builds one offer per contact kind). */
export type DialTarget = { user: string; contact?: string } | { trunk: string; number: string } | { uri: string };

export interface DialOptions {
  sdp: string;
  from?: { user: string; displayName?: string };
  /** Our own number presented as the From user through a trunk (a relay DID), instead of the trunk's account. */
  callerId?: string;
  headers?: Record<string, string>;
  onProgress?: (status: number, sdp?: string) => void;
  /** The SIP server sent the INVITE (or could not): called once per INVITE placed. */
  onSent?: () => void;
}

/** srf's method-handler delegates, missing from its bundled typings. */
type SrfVerbs = {
  options(fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
  register(fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
  invite(fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
  message(fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
};

export class SipApplication extends EventEmitter<{ call: [InboundCall]; message: [InboundMessage] }> {
  readonly registrar: Registrar;
  readonly trunks: Trunks;
  readonly digest: DigestServer;
  private readonly auth: SipAuthenticator;
  private readonly logger: Logger;
  private started = false;

  constructor(
    private readonly srf: Srf,
    private readonly opts: SipAppOptions,
  ) {
    super();
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.registrar = new Registrar({
      minExpires: opts.minExpires,
      maxExpires: opts.maxExpires,
      defaultExpires: opts.defaultExpires,
    });
    this.digest = new DigestServer({
      realm: opts.realm,
      algorithms: opts.digestAlgorithms,
      nonceTtlMs: opts.nonceTtlMs,
      acceptRfc2069: opts.acceptRfc2069,
    });
    this.auth = new SipAuthenticator({
      digest: this.digest,
      throttle: opts.throttle,
      credentials: opts.credentials,
      logger: this.logger,
    });
    this.trunks = new Trunks(srfRegisterSender(srf), opts.trunks, {
      retry: opts.trunkRetry,
      requestTimeoutMs: opts.trunkRequestTimeoutMs,
      logger: this.logger,
      resolver: new SipResolver({ servers: opts.dnsServers }),
    });
  }

  /** Installs the OPTIONS, REGISTER and INVITE handlers and starts trunk registrations. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const verbs = this.srf as unknown as SrfVerbs;
    const registerHandler = new RegisterHandler({ registrar: this.registrar, auth: this.auth, logger: this.logger });
    verbs.options((req, res) => this.guard(res, () => handleOptions(req, res)));
    verbs.register((req, res) => registerHandler.handle(req, res));
    verbs.invite((req, res) => {
      this.onInvite(req, res).catch((err: unknown) => {
        this.logger.error({ err }, 'INVITE handler failed');
        reply(res, 500);
      });
    });
    verbs.message((req, res) => this.guard(res, () => this.onMessage(req, res)));
    this.trunks.start().catch((err: unknown) => this.logger.error({ err }, 'trunks failed to start'));
  }

  /** Places an outbound call. To a user: every live contact rings at once, the first to answer wins. */
  dial(target: DialTarget, opts: DialOptions): OutboundCall {
    const base = { sdp: opts.sdp, onProgress: opts.onProgress, onSent: opts.onSent, logger: this.logger };
    const fromHeader = (user: string, displayName?: string) => nameAddr(`sip:${user}@localhost`, displayName);
    if ('user' in target) {
      const all = this.registrar.lookup(target.user);
      const bindings = target.contact === undefined ? all : all.filter((b) => b.contact === target.contact);
      if (bindings.length === 0) return failed(new SipCallError(480, 'Temporarily Unavailable'));
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.from) headers.From = fromHeader(opts.from.user, opts.from.displayName);
      headers.To = nameAddr(`sip:${target.user}@${this.opts.realm}`, bindings[0]!.displayName);
      return forkCall(
        bindings.map((b) =>
          placeCall(this.srf, {
            ...base,
            uri: b.contact,
            proxy: proxyUriFor(b.source),
            headers: { ...headers },
          }),
        ),
      );
    }
    if ('trunk' in target) {
      const plan = this.trunks.dialPlan(target.trunk, target.number, opts.from, opts.callerId);
      if (!plan) return failed(new SipCallError(404, `Unknown Trunk ${target.trunk}`));
      return placeCall(this.srf, {
        ...base,
        uri: plan.uri,
        headers: { ...(opts.headers ?? {}), ...plan.headers },
        auth: plan.auth,
      });
    }
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.from) headers.From = fromHeader(opts.from.user, opts.from.displayName);
    return placeCall(this.srf, { ...base, uri: target.uri, headers });
  }

  /** Unregisters trunks (Expires: 0) and stops timers. Established dialogs are the call layer's. */
  async close(): Promise<void> {
    await this.trunks.close();
    this.registrar.close();
  }

  private guard(res: Srf.SrfResponse, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err }, 'request handler failed');
      reply(res, 500);
    }
  }

  /** Authentication counters for metrics (the throttle's own are on the shared `AuthThrottle`). */
  authStats(): SipAuthStats {
    return this.auth.stats();
  }

  /** Text messages come from carriers only: anyone else could forge an SMS to a customer's webhook. */
  private onMessage(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const trunk = this.trunks.match(req.source_address, req.uri);
    if (!trunk) {
      reply(res, 403, 'Forbidden');
      return;
    }
    if (this.listenerCount('message') === 0) {
      reply(res, 404, 'Not Found');
      return;
    }
    this.emit('message', new InboundMessage(res, req, trunk));
  }

  private async onInvite(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const trunk = this.trunks.match(req.source_address, req.uri);
    let origin: InboundCall['origin'];
    let identity: { user: string; displayName?: string } | undefined;
    if (trunk) {
      origin = { kind: 'trunk', trunk };
    } else {
      // The credential lookup is a database query: a CANCEL arriving meanwhile (the stack answers
      // the INVITE 487 itself) must stop the call before it exists, not be missed.
      let canceled = false;
      const onCancel = () => {
        canceled = true;
      };
      req.on('cancel', onCancel);
      const claimed = parseNameAddr(req.get('From') ?? '');
      let auth: Awaited<ReturnType<SipAuthenticator['authenticate']>>;
      try {
        auth = await this.auth.authenticate(req, res, 'proxy', claimed ? parseSipUri(claimed.uri)?.user : undefined);
      } finally {
        (req as unknown as EventEmitter).off('cancel', onCancel);
      }
      if (!auth.ok) return;
      if (canceled) {
        this.logger.debug({ callId: req.get('Call-ID'), user: auth.user }, 'INVITE canceled during authentication');
        return;
      }
      origin = { kind: 'user', user: auth.user };
      // The caller is who authenticated, shown by the account's display name, whatever From says.
      identity = { user: auth.user, displayName: auth.displayName };
    }
    if (this.listenerCount('call') === 0) {
      reply(res, 480, 'Temporarily Unavailable');
      return;
    }
    const call = new InboundCall(this.srf, req, res, origin, this.logger, identity);
    this.logger.debug({ callId: call.callId, origin, to: call.to.user }, 'inbound call');
    this.emit('call', call);
  }
}

function failed(err: SipCallError): OutboundCall {
  const leg = Promise.reject<SipLeg>(err);
  leg.catch(() => undefined);
  return { leg, cancel: () => undefined };
}
