/**
 * The connected applications and the verbs each registered with `route`: picks the app for an
 * incoming request (round-robin among those routing the method) and fans CDR events out.
 */
import type { AppConnection } from './connection.js';
import { cdrFrame, type CdrEvent } from './messages.js';

export class AppRegistry {
  private readonly apps = new Map<string, AppConnection>();
  private rr = 0;

  add(app: AppConnection): void {
    this.apps.set(app.id, app);
  }
  remove(app: AppConnection): void {
    this.apps.delete(app.id);
  }
  get(id: string): AppConnection | undefined {
    const a = this.apps.get(id);
    return a && !a.isClosed ? a : undefined;
  }
  all(): AppConnection[] {
    return [...this.apps.values()];
  }

  /** An app that routes `verb` (lowercase method), round-robin when several do. */
  pick(verb: string): AppConnection | undefined {
    const candidates = [...this.apps.values()].filter((a) => !a.isClosed && a.routes.has(verb));
    if (candidates.length === 0) return undefined;
    this.rr = (this.rr + 1) % 1_000_000;
    return candidates[this.rr % candidates.length];
  }

  /** Whether some live app routes `method` (any case). */
  routes(method: string): boolean {
    const verb = method.toLowerCase();
    for (const a of this.apps.values()) if (!a.isClosed && a.routes.has(verb)) return true;
    return false;
  }

  /** Methods (upper case) some live app routes; CDR subscriptions are not methods. */
  routedMethods(): Set<string> {
    const out = new Set<string>();
    for (const a of this.apps.values()) {
      if (a.isClosed) continue;
      for (const r of a.routes) if (!r.startsWith('cdr:')) out.add(r.toUpperCase());
    }
    return out;
  }

  cdr(event: CdrEvent, source: 'network' | 'application', sip: Buffer | string, extra?: string): void {
    let frame: string | undefined;
    for (const a of this.apps.values()) {
      if (a.isClosed || !a.routes.has(event)) continue;
      frame ??= cdrFrame(event, source, sip, extra);
      a.send(frame);
    }
  }
}
