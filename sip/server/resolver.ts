/**
 * Locating a SIP server from a host name (RFC 3263 §4.2, without NAPTR): a numeric host or an
 * explicit port is used as it is; otherwise the transport's SRV records (`_sip._udp`, `_sip._tcp`,
 * `_sips._tcp`) name the servers, tried in priority order with weighted choice inside a priority
 * (RFC 2782), and a name without SRV records falls back to its A/AAAA records on the default port.
 * WebSocket URIs have no SRV (RFC 7118) and go straight to A/AAAA.
 */
import { Resolver, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export type SipTransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface ResolvedTarget {
  host: string;
  port: number;
}

export interface SipResolverOptions {
  /** DNS servers (`ip` or `ip:port`) instead of the system's; for SRV as well as A/AAAA. */
  servers?: string[];
  /** Weighted choice among equal priorities; injectable so tests are repeatable. */
  random?: () => number;
  /** How long an answer is reused (every call to a carrier would otherwise ask DNS again). */
  cacheMs?: number;
}

interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

const SRV_PREFIX: Partial<Record<SipTransportName, string>> = { udp: '_sip._udp.', tcp: '_sip._tcp.', tls: '_sips._tcp.' };
const DEFAULT_PORT: Record<SipTransportName, number> = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };

export class SipResolver {
  private readonly dns: Resolver | undefined;
  private readonly random: () => number;
  private readonly cacheMs: number;
  private readonly cache = new Map<string, { at: number; targets: Promise<ResolvedTarget[]> }>();

  constructor(opts: SipResolverOptions = {}) {
    if (opts.servers && opts.servers.length > 0) {
      this.dns = new Resolver({ timeout: 2000, tries: 2 });
      this.dns.setServers(opts.servers);
    }
    this.random = opts.random ?? Math.random;
    this.cacheMs = opts.cacheMs ?? 30000;
  }

  /** Every server that may take requests for `host`, in the order to try them. */
  async resolve(host: string, port: number | undefined, transport: SipTransportName): Promise<ResolvedTarget[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare)) return [{ host: bare, port: port ?? DEFAULT_PORT[transport] }];
    const key = `${transport}:${bare.toLowerCase()}:${port ?? ''}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.cacheMs) return hit.targets;
    const targets = this.lookupTargets(bare, port, transport);
    this.cache.set(key, { at: now, targets });
    // A failure is not remembered: the next call asks again.
    targets.catch(() => {
      if (this.cache.get(key)?.targets === targets) this.cache.delete(key);
    });
    if (this.cache.size > 1000) this.cache.delete(this.cache.keys().next().value as string);
    return targets;
  }

  private async lookupTargets(bare: string, port: number | undefined, transport: SipTransportName): Promise<ResolvedTarget[]> {
    if (port === undefined && SRV_PREFIX[transport]) {
      const records = await this.srv(`${SRV_PREFIX[transport]}${bare}`);
      if (records.length > 0) {
        const out: ResolvedTarget[] = [];
        for (const r of this.order(records)) {
          for (const address of await this.addresses(r.name).catch(() => [])) out.push({ host: address, port: r.port });
        }
        if (out.length > 0) return out;
        throw new Error(`no address for any SRV target of ${bare}`);
      }
    }
    const p = port ?? DEFAULT_PORT[transport];
    return (await this.addresses(bare)).map((address) => ({ host: address, port: p }));
  }

  /** A and AAAA records of a name (through the configured servers, else the system resolver). */
  async addresses(name: string): Promise<string[]> {
    if (isIP(name)) return [name];
    if (this.dns) {
      const [v4, v6] = await Promise.all([this.dns.resolve4(name).catch(() => []), this.dns.resolve6(name).catch(() => [])]);
      if (v4.length + v6.length > 0) return [...v4, ...v6];
    }
    // The system resolver also knows /etc/hosts names (localhost, lab hosts).
    return (await lookup(name, { all: true })).map((a) => a.address);
  }

  private async srv(name: string): Promise<SrvRecord[]> {
    try {
      return await (this.dns ?? new Resolver({ timeout: 2000, tries: 2 })).resolveSrv(name);
    } catch {
      return []; // no SRV records (or no DNS): the A/AAAA fallback decides
    }
  }

  /** RFC 2782: lowest priority first; inside one priority, weighted random order. */
  private order(records: SrvRecord[]): SrvRecord[] {
    const byPriority = new Map<number, SrvRecord[]>();
    for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
    const out: SrvRecord[] = [];
    for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
      // Zero-weight records first so they keep a small chance, as RFC 2782 arranges.
      const pool = (byPriority.get(priority) as SrvRecord[]).sort((a, b) => a.weight - b.weight);
      while (pool.length > 0) {
        const total = pool.reduce((sum, r) => sum + r.weight, 0);
        const n = Math.floor(this.random() * (total + 1)); // 0..total
        let running = 0;
        let i = pool.findIndex((r) => (running += r.weight) >= n);
        if (i < 0) i = pool.length - 1;
        out.push(...pool.splice(i, 1));
      }
    }
    return out;
  }
}
