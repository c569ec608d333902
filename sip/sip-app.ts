/**
 * The drachtio-srf application: OPTIONS, the registrar, trunks, and calls in both directions.
 * Inbound INVITEs are admitted (trunk source, or digest-authenticated user) and handed to the
 * call layer as `call` events; outbound calls go to registered users, through trunks, or to URIs.
 */
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { pino, type Logger } from 'pino';
import type { TrunkConfig } from '../config/schema.js';
import { DigestServer } from './digest.js';
import { InboundCall } from './inbound-call.js';
import { SipCallError, type SipLeg } from './legs.js';
import { handleOptions } from './options.js';
import { forkCall, placeCall, type OutboundCall } from './outbound.js';
import { RegisterHandler } from './register-handler.js';
import { Registrar } from './registrar.js';
import { reply } from './reply.js';
import { proxyUriFor } from './source.js';
import { srfRegisterSender, Trunks } from './trunks.js';
import { SipResolver } from './server/resolver.js';

export { InboundCall, type CallOrigin, type CallParty } from './inbound-call.js';
export { SipLeg, SipCallError } from './legs.js';
export type { OutboundCall } from './outbound.js';
export { Registrar, type Binding, type BindingSource } from './registrar.js';

export interface SipAppOptions {
  realm: string;
  users: { username: string; password: string; displayName?: string }[];
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  trunks: TrunkConfig[];
  /** DNS servers for resolving trunk hosts (SRV, A/AAAA); the system's when empty. */
  dnsServers?: string[];
  logger?: Logger;
  /** Digest algorithms offered, preferred first. Default MD5 then SHA-256 (most phones and sip.js know only MD5). */
  digestAlgorithms?: ('MD5' | 'SHA-256')[];
  /** Nonce lifetime before `stale=true`. Default 5 minutes. */
  nonceTtlMs?: number;
  /** Trunk registration retry backoff. Default 2 s doubling to 5 min. */
  trunkRetry?: { baseMs: number; maxMs: number };
  /** A trunk REGISTER with no final response in this time counts as failed. Default 32 s. */
  trunkRequestTimeoutMs?: number;
}

export type DialTarget = { user: string } | { trunk: string; number: string } | { uri: string };

export interface DialOptions {
  sdp: string;
  from?: { user: string; displayName?: string };
  headers?: Record<string, string>;
  onProgress?: (status: number, sdp?: string) => void;
}

/** srf's method-handler delegates, missing from its bundled typings. */
type SrfVerbs = {
  options(fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
  register(fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
  invite(fn: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
};

export class SipApplication extends EventEmitter<{ call: [InboundCall] }> {
  readonly registrar: Registrar;
  readonly trunks: Trunks;
  readonly digest: DigestServer;
  private readonly logger: Logger;
  private readonly passwords: Map<string, string>;
  private started = false;

  constructor(private readonly srf: Srf, private readonly opts: SipAppOptions) {
    super();
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.passwords = new Map(opts.users.map((u) => [u.username, u.password]));
    this.registrar = new Registrar({ minExpires: opts.minExpires, maxExpires: opts.maxExpires, defaultExpires: opts.defaultExpires });
    this.digest = new DigestServer({ realm: opts.realm, algorithms: opts.digestAlgorithms ?? ['MD5', 'SHA-256'], nonceTtlMs: opts.nonceTtlMs });
    this.trunks = new Trunks(srfRegisterSender(srf), opts.trunks, {
      retry: opts.trunkRetry, requestTimeoutMs: opts.trunkRequestTimeoutMs, logger: this.logger,
      resolver: new SipResolver({ servers: opts.dnsServers }),
    });
  }

  /** Installs the OPTIONS, REGISTER and INVITE handlers and starts trunk registrations. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const verbs = this.srf as unknown as SrfVerbs;
    const registerHandler = new RegisterHandler({
      registrar: this.registrar, digest: this.digest, passwordFor: (u) => this.passwords.get(u), logger: this.logger,
    });
    verbs.options((req, res) => this.guard(res, () => handleOptions(req, res)));
    verbs.register((req, res) => registerHandler.handle(req, res));
    verbs.invite((req, res) => this.guard(res, () => this.onInvite(req, res)));
    this.trunks.start().catch((err: unknown) => this.logger.error({ err }, 'trunks failed to start'));
  }

  /** Places an outbound call. To a user: every live contact rings at once, the first to answer wins. */
  dial(target: DialTarget, opts: DialOptions): OutboundCall {
    const base = { sdp: opts.sdp, onProgress: opts.onProgress, logger: this.logger };
    const fromHeader = (user: string, displayName?: string) => {
      const uri = `sip:${user}@localhost`;
      return displayName ? `"${displayName.replace(/"/g, '')}" <${uri}>` : `<${uri}>`;
    };
    if ('user' in target) {
      const bindings = this.registrar.lookup(target.user);
      if (bindings.length === 0) return failed(new SipCallError(480, 'Temporarily Unavailable'));
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.from) headers.From = fromHeader(opts.from.user, opts.from.displayName);
      headers.To = `<sip:${target.user}@${this.opts.realm}>`;
      return forkCall(bindings.map((b) => placeCall(this.srf, {
        ...base, uri: b.contact, proxy: proxyUriFor(b.source), headers: { ...headers },
      })));
    }
    if ('trunk' in target) {
      const plan = this.trunks.dialPlan(target.trunk, target.number, opts.from);
      if (!plan) return failed(new SipCallError(404, `Unknown Trunk ${target.trunk}`));
      return placeCall(this.srf, { ...base, uri: plan.uri, headers: { ...(opts.headers ?? {}), ...plan.headers }, auth: plan.auth });
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

  private onInvite(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const trunk = this.trunks.match(req.source_address, req.uri);
    let origin: InboundCall['origin'];
    if (trunk) {
      origin = { kind: 'trunk', trunk };
    } else {
      const verdict = this.digest.verify('INVITE', req.get('Proxy-Authorization'), (u) => this.passwords.get(u));
      if (!verdict.ok) {
        if (verdict.reason === 'missing' || verdict.reason === 'stale' || verdict.reason === 'invalid-nonce') {
          reply(res, 407, undefined, { 'Proxy-Authenticate': this.digest.challenge({ stale: verdict.reason === 'stale' }) });
        } else {
          this.logger.info({ reason: verdict.reason, source: req.source_address }, 'INVITE refused');
          reply(res, 403, 'Forbidden');
        }
        return;
      }
      origin = { kind: 'user', user: verdict.username };
    }
    if (this.listenerCount('call') === 0) {
      reply(res, 480, 'Temporarily Unavailable');
      return;
    }
    const call = new InboundCall(this.srf, req, res, origin, this.logger);
    this.logger.debug({ callId: call.callId, origin, to: call.to.user }, 'inbound call');
    this.emit('call', call);
  }
}

function failed(err: SipCallError): OutboundCall {
  const leg = Promise.reject<SipLeg>(err);
  leg.catch(() => undefined);
  return { leg, cancel: () => undefined };
}
