/**
 * Anonymous visitors' SIP credentials: minted per call by the widget's session endpoint, held in
 * memory only, good for a short while and for one call to the widget's target. The SIP
 * authenticator looks them up beside agents'; routing sends a visitor's INVITE to its widget's
 * target and nowhere else, so a leaked credential cannot reach the trunk or another number.
 */
import { randomBytes } from 'node:crypto';
import type { WidgetTarget } from '../store/index.js';
import type { VisitorClaim } from '../calls/router.js';

export const VISITOR_USER_PREFIX = 'visitor-';

export interface VisitorPass {
  username: string;
  password: string;
  /** What the widget puts in its INVITE's Request-URI; anything else is refused. */
  dial: string;
  projectId: number;
  widgetId: string;
  target: WidgetTarget;
  displayName: string;
  expiresAt: number;
  /** Set by the first INVITE routed with it: one call per pass. */
  usedAt?: number;
}

export interface VisitorCredentialsOptions {
  /** How long a pass may wait for its call to start. */
  ttlMs: number;
  now?: () => number;
}

export class VisitorCredentials {
  private readonly passes = new Map<string, VisitorPass>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: VisitorCredentialsOptions) {
    this.now = opts.now ?? Date.now;
    // Expired passes are dropped within a TTL; the timer must not hold the process open.
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, opts.ttlMs));
    this.sweeper.unref();
  }

  mint(p: { projectId: number; widgetId: string; target: WidgetTarget; displayName: string }): VisitorPass {
    const username = VISITOR_USER_PREFIX + randomBytes(12).toString('base64url');
    const pass: VisitorPass = {
      ...p,
      username,
      password: randomBytes(24).toString('base64url'),
      dial: p.widgetId,
      expiresAt: this.now() + this.opts.ttlMs,
    };
    this.passes.set(username, pass);
    return pass;
  }

  /** A live pass (for digest authentication and routing); undefined when unknown or expired. */
  get(username: string): VisitorPass | undefined {
    if (!username.startsWith(VISITOR_USER_PREFIX)) return undefined;
    const p = this.passes.get(username);
    if (!p) return undefined;
    if (p.expiresAt <= this.now()) {
      this.passes.delete(username);
      return undefined;
    }
    return p;
  }

  /**
   * Routing's view (`VisitorDirectory` of src/calls): binds the pass to the call being routed;
   * `spent` when it already carried one, undefined when `username` is no live visitor.
   */
  claim(username: string): VisitorClaim {
    const p = this.get(username);
    if (!p) return undefined;
    if (p.usedAt !== undefined) return 'spent';
    p.usedAt = this.now();
    return { projectId: p.projectId, dial: p.dial, target: p.target };
  }

  get size(): number {
    return this.passes.size;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.passes.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, p] of this.passes) if (p.expiresAt <= now) this.passes.delete(k);
  }
}
