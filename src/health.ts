/**
 * Whether the platform can take calls right now, and why not: every media worker serving and the
 * SIP application connected to its SIP server (embedded or external drachtio-server). Built by
 * the composition root; the HTTP layer only renders it.
 */
import type { MediaServer, WorkerHealth } from '../media/index.js';
import type { CallRegistry } from './calls/call-registry.js';

/** The SIP application's link to the drachtio server, as the composition root observes it. */
export interface SipLinkState {
  connected: boolean;
  since: number;
  server: string;
  embedded: boolean;
}

export interface HealthReport {
  healthy: boolean;
  /** One short phrase per failing part, e.g. `media worker 0 down`, `sip server disconnected`. */
  failing: string[];
  /** For operators only (behind http.healthDetails or the health token). */
  details: {
    calls: number;
    media: { workers: WorkerHealth[]; sessions: number; endpoints: number; portsInUse: number };
    sip: SipLinkState;
  };
}

export interface HealthDeps {
  media: MediaServer;
  calls: CallRegistry;
  sipLink: () => SipLinkState;
  /** A worker that does not answer within this long counts as stuck. */
  workerTimeoutMs?: number;
}

export class PlatformHealth {
  constructor(private readonly deps: HealthDeps) {}

  async check(): Promise<HealthReport> {
    const workers = await this.deps.media.workerHealth(this.deps.workerTimeoutMs ?? 1000);
    const sip = this.deps.sipLink();
    const failing: string[] = [];
    if (workers.length === 0) failing.push('media workers not running');
    for (const w of workers) if (w.state !== 'ready') failing.push(`media worker ${w.index} ${w.state}`);
    if (!sip.connected) failing.push('sip server disconnected');
    const { sessions, endpoints, portsInUse } = this.deps.media.stats();
    return {
      healthy: failing.length === 0,
      failing,
      details: { calls: this.deps.calls.size, media: { workers, sessions, endpoints, portsInUse }, sip },
    };
  }
}
