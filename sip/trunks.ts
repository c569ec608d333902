/**
 * The configured SIP trunks: their registrations, recognising requests that come from a
 * carrier (by source address, or by the `line` token we put in our registered Contact), and
 * building the Request-URI, From and credentials of calls sent out through a trunk.
 */
import type Srf from 'drachtio-srf';
import { pino, type Logger } from 'pino';
import type { TrunkConfig } from '../config/schema.js';
import type { DigestCredentials } from './digest.js';
import { formatNameAddr, parseSipUri, uriHost } from './name-addr.js';
import { SipResolver } from './server/resolver.js';
import { newLineToken, TrunkRegistration, type RegisterResponse, type RegisterSender } from './trunk-registration.js';

export interface TrunksOptions {
  retry?: { baseMs: number; maxMs: number };
  requestTimeoutMs?: number;
  logger?: Logger;
  resolver?: SipResolver;
}

interface TrunkState {
  config: TrunkConfig;
  addresses: Set<string>;
  lineToken: string;
  registration?: TrunkRegistration;
}

/** srf.request as it really behaves (its bundled typings are off for this overload). */
type SrfRequester = {
  request(
    uri: string,
    opts: { method: string; headers: Record<string, string> },
    cb: (err: Error | null, req: Srf.SrfRequest) => void,
  ): unknown;
};

export function srfRegisterSender(srf: Srf): RegisterSender {
  return ({ uri, headers }) =>
    new Promise<RegisterResponse>((resolve, reject) => {
      (srf as unknown as SrfRequester).request(uri, { method: 'REGISTER', headers }, (err, req) => {
        if (err) {
          reject(err);
          return;
        }
        req.on('response', (res?: Srf.SrfResponse) => {
          if (res && res.status >= 200) resolve({ status: res.status, reason: res.reason, get: (n) => res.get(n) ?? undefined });
        });
      });
    });
}

function normaliseIp(a: string): string {
  return a.replace(/^::ffff:/i, '').toLowerCase();
}

export class Trunks {
  private readonly trunks = new Map<string, TrunkState>();
  private readonly logger: Logger;

  private readonly resolver: SipResolver;

  constructor(
    private readonly send: RegisterSender,
    configs: TrunkConfig[],
    private readonly opts: TrunksOptions = {},
  ) {
    this.resolver = opts.resolver ?? new SipResolver();
    this.logger = opts.logger ?? pino({ level: 'silent' });
    for (const c of configs) {
      const state: TrunkState = { config: c, addresses: new Set(), lineToken: newLineToken() };
      if (c.register) state.registration = this.newRegistration(c, state.lineToken);
      this.trunks.set(c.name, state);
    }
  }

  private newRegistration(c: TrunkConfig, lineToken: string): TrunkRegistration {
    const user = c.fromUser ?? c.username ?? c.name;
    const transportParam = c.transport === 'udp' ? '' : `;transport=${c.transport}`;
    return new TrunkRegistration({
      trunk: c.name,
      registrarUri: `sip:${hostport(c)}${transportParam}`,
      aor: `sip:${user}@${uriHost(c.fromDomain ?? c.host)}`,
      contact: `sip:${user}@localhost${transportParam};line=${lineToken}`,
      expires: c.expires,
      username: c.username,
      password: c.password,
      send: this.send,
      retry: this.opts.retry,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      logger: this.logger,
    });
  }

  /** Resolves carrier addresses, then starts registrations. Resolution failures are logged, not fatal. */
  async start(): Promise<void> {
    await Promise.all(
      [...this.trunks.values()].map(async (t) => {
        const c = t.config;
        // The carrier's own servers (its SRV targets when no port is set) and any extra addresses.
        const lookups = [
          { host: c.host, find: () => this.resolver.resolve(c.host, c.port, c.transport).then((ts) => ts.map((x) => x.host)) },
          ...c.inboundAddresses.map((host) => ({ host, find: () => this.resolver.addresses(host) })),
        ];
        for (const { host, find } of lookups) {
          try {
            for (const a of await find()) t.addresses.add(normaliseIp(a));
          } catch (err) {
            this.logger.warn({ err, trunk: t.config.name, host }, 'cannot resolve trunk host');
          }
        }
      }),
    );
    for (const t of this.trunks.values()) t.registration?.start();
  }

  names(): string[] {
    return [...this.trunks.keys()];
  }

  config(name: string): TrunkConfig | undefined {
    return this.trunks.get(name)?.config;
  }

  registration(name: string): TrunkRegistration | undefined {
    return this.trunks.get(name)?.registration;
  }

  /** The `line` token in the Contact we register for `name`: carriers send calls for us to it. */
  lineToken(name: string): string | undefined {
    return this.trunks.get(name)?.lineToken;
  }

  /**
   * The trunk an inbound request belongs to: by source address (the carrier's resolved servers and
   * `inboundAddresses`). The `line` token of our registered Contact only picks among trunks sharing
   * that address (two accounts at one carrier); on its own it proves nothing: it is short, travels in
   * clear in every INVITE the carrier sends us, and a request naming it from any other address
   * would otherwise skip authentication and ring internal users.
   */
  match(sourceAddress: string, requestUri: string): string | undefined {
    const src = normaliseIp(sourceAddress);
    const fromCarrier = [...this.trunks.values()].filter((t) => t.addresses.has(src));
    const line = parseSipUri(requestUri)?.params.line;
    if (line) {
      const byLine = fromCarrier.find((t) => t.registration && t.lineToken === line);
      if (byLine) return byLine.config.name;
      if (fromCarrier.length === 0 && [...this.trunks.values()].some((t) => t.registration && t.lineToken === line)) {
        this.logger.warn(
          { source: src },
          "trunk line token from an address that is not the carrier's: not treated as the carrier",
        );
      }
    }
    return fromCarrier[0]?.config.name;
  }

  /** Request-URI, headers and credentials for a call to `number` through `name`. */
  dialPlan(
    name: string,
    number: string,
    from?: { user: string; displayName?: string },
    callerId?: string,
  ): { uri: string; headers: Record<string, string>; auth?: DigestCredentials } | undefined {
    const c = this.trunks.get(name)?.config;
    if (!c) return undefined;
    const transportParam = c.transport === 'udp' ? '' : `;transport=${c.transport}`;
    const uri = `sip:${encodeURIComponent(number).replace(/%2B/g, '+')}@${hostport(c)}${transportParam}`;
    // Carriers authorise by the account in From; the caller's own number is a display hint only.
    // ...unless we present one of our own DIDs on that carrier (a relay), which it knows as ours.
    const fromUser = callerId ?? c.fromUser ?? c.username ?? from?.user ?? 'anonymous';
    const display = from?.displayName ?? (!callerId && c.fromUser && from?.user ? from.user : undefined);
    const fromUri = `sip:${fromUser}@${uriHost(c.fromDomain ?? c.host)}`;
    const headers: Record<string, string> = { From: formatNameAddr(fromUri, display) };
    const auth = c.username && c.password ? { username: c.username, password: c.password } : undefined;
    return { uri, headers, auth };
  }

  async close(): Promise<void> {
    await Promise.all([...this.trunks.values()].map((t) => t.registration?.stop()));
  }
}

/** host:port for a trunk URI; no port when none is configured, so the carrier's SRV records apply. */
function hostport(c: TrunkConfig): string {
  return c.port === undefined ? uriHost(c.host) : `${uriHost(c.host)}:${c.port}`;
}
