/**
 * Which foreign pages may open the SIP WebSocket: those of the visitor widgets' allowed domains.
 * A widget's page lives on the customer's site, and the site is added through the API at run
 * time, so the SIP listener's static origin list cannot know it. The domains are read from the
 * store at most once per `ttlMs` (a handshake costs no query), so a domain just added is admitted
 * within that time.
 */
import { originAllowed, pageOrigin } from './origin.js';

export interface WidgetDomainSource {
  voiceDomains(): Promise<string[]>;
}

export class WidgetOrigins {
  private cached: { at: number; domains: Promise<string[]> } | undefined;

  constructor(
    private readonly source: WidgetDomainSource,
    private readonly ttlMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `origin` (a WebSocket handshake's Origin) is a page on some voice widget's allowed domains. */
  async allows(origin: string): Promise<boolean> {
    const page = pageOrigin(origin, undefined);
    if (!page) return false;
    return originAllowed(await this.domains(), page, undefined);
  }

  private domains(): Promise<string[]> {
    const now = this.now();
    if (!this.cached || now - this.cached.at >= this.ttlMs) {
      const domains = this.source.voiceDomains();
      this.cached = { at: now, domains };
      // a failed read is not kept: the next handshake asks again
      domains.catch(() => {
        if (this.cached?.domains === domains) this.cached = undefined;
      });
    }
    return this.cached.domains;
  }
}
