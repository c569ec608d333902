/**
 * The registrar's location service (RFC 3261 §10.3): bindings of a user's address-of-record to
 * one or more contacts, each with its own expiry. It also remembers where each REGISTER really
 * came from (transport, address, port), because a phone behind NAT or a browser on a WebSocket
 * can only be reached back through that flow, not at the address its Contact claims.
 * Pure state: the SIP side (digest, responses) lives in `register-handler.ts`.
 */
import { EventEmitter } from 'node:events';
import type { NameAddr } from './name-addr.js';

export interface BindingSource {
  transport: string;
  host: string;
  port: number;
}

export interface Binding {
  user: string;
  /** The Contact URI the phone registered. */
  contact: string;
  /** Seconds left, as of the lookup. */
  expires: number;
  /** Epoch ms when the binding lapses. */
  expiresAt: number;
  /** Where the REGISTER came from: route requests for this binding here. */
  source: BindingSource;
  userAgent?: string;
  callId: string;
  cseq: number;
  /** Epoch ms of the last refresh; lookups list the most recent first. */
  updatedAt: number;
  /** RFC 5626 `+sip.instance`, when the UA sent one. */
  instance?: string;
  /** The user's configured display name (`registrar.users[].displayName`), as of this registration. */
  displayName?: string;
  /** The username that authenticated the REGISTER (a widget session's, for an agent's browser). */
  authUser?: string;
}

export interface RegisterInput {
  user: string;
  /** Parsed Contact entries, '*' for the wildcard, [] for a query (fetch bindings). */
  contacts: NameAddr[] | '*';
  /** The Expires header, if present. */
  expires?: number;
  callId: string;
  cseq: number;
  source: BindingSource;
  userAgent?: string;
  /** The account's display name, from the credential lookup that authenticated this REGISTER. */
  displayName?: string;
  authUser?: string;
}

export type RegisterOutcome =
  | { status: 200; bindings: Binding[] }
  | { status: 423; minExpires: number }
  | { status: 400 | 403 | 500; reason: string };

export interface RegistrarOptions {
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  now?: () => number;
  /** How often lapsed bindings are swept (and `expired` emitted). Default 1000 ms. */
  sweepMs?: number;
  /** Live contacts one user may hold; more are refused (403) so one account cannot exhaust memory. Default 10. */
  maxContactsPerUser?: number;
}

export interface RegistrarEvents {
  registered: [Binding];
  unregistered: [Binding, 'removed' | 'expired'];
}

export class Registrar extends EventEmitter<RegistrarEvents> {
  private readonly bindings = new Map<string, Map<string, Binding>>();
  private readonly now: () => number;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly opts: RegistrarOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.sweepTimer = setInterval(() => this.sweep(), opts.sweepMs ?? 1000);
    this.sweepTimer.unref();
  }

  /** Applies one REGISTER (already authenticated for `input.user`). */
  register(input: RegisterInput): RegisterOutcome {
    const now = this.now();
    this.sweep();
    const existing = this.bindings.get(input.user) ?? new Map<string, Binding>();
    if (input.contacts === '*') {
      if (input.expires !== 0) return { status: 400, reason: 'Wildcard Contact Requires Expires 0' };
      for (const b of existing.values()) {
        if (b.callId === input.callId && input.cseq <= b.cseq) return { status: 500, reason: 'Out Of Order CSeq' };
      }
      this.bindings.delete(input.user);
      for (const b of existing.values()) this.emit('unregistered', b, 'removed');
      return { status: 200, bindings: [] };
    }
    // Validate the whole request before changing anything (RFC 3261 §10.3 step 6/7 are atomic).
    const planned: { key: string; uri: string; expires: number; instance?: string }[] = [];
    for (const c of input.contacts) {
      const paramExpires = c.params.expires !== undefined ? Number(c.params.expires) : undefined;
      let expires = paramExpires ?? input.expires ?? this.opts.defaultExpires;
      if (!Number.isFinite(expires) || expires < 0) return { status: 400, reason: 'Bad Expires' };
      expires = Math.floor(expires);
      if (expires > 0 && expires < this.opts.minExpires) return { status: 423, minExpires: this.opts.minExpires };
      if (expires > this.opts.maxExpires) expires = this.opts.maxExpires;
      const instance = c.params['+sip.instance'];
      const old = existing.get(this.keyOf(c.uri, instance));
      if (old && old.callId === input.callId && input.cseq <= old.cseq) return { status: 500, reason: 'Out Of Order CSeq' };
      planned.push({ key: this.keyOf(c.uri, instance), uri: c.uri, expires, instance });
    }
    const after = new Set(existing.keys());
    for (const p of planned) {
      if (p.expires === 0) after.delete(p.key);
      else after.add(p.key);
    }
    if (after.size > (this.opts.maxContactsPerUser ?? 10)) return { status: 403, reason: 'Too Many Contacts' };
    for (const p of planned) {
      const old = existing.get(p.key);
      if (p.expires === 0) {
        if (old) {
          existing.delete(p.key);
          this.emit('unregistered', old, 'removed');
        }
        continue;
      }
      const b: Binding = {
        user: input.user,
        contact: p.uri,
        expires: p.expires,
        expiresAt: now + p.expires * 1000,
        source: { ...input.source },
        userAgent: input.userAgent,
        callId: input.callId,
        cseq: input.cseq,
        updatedAt: now,
        instance: p.instance,
        displayName: input.displayName,
        authUser: input.authUser,
      };
      existing.set(p.key, b);
      this.emit('registered', b);
    }
    if (existing.size > 0) this.bindings.set(input.user, existing);
    else this.bindings.delete(input.user);
    return { status: 200, bindings: this.lookup(input.user) };
  }

  /** Live bindings of `user`, the most recently refreshed first, with `expires` as seconds left. */
  lookup(user: string): Binding[] {
    const now = this.now();
    const map = this.bindings.get(user);
    if (!map) return [];
    return [...map.values()]
      .filter((b) => b.expiresAt > now)
      .map((b) => ({ ...b, source: { ...b.source }, expires: Math.max(1, Math.ceil((b.expiresAt - now) / 1000)) }))
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /**
   * Drops the bindings of `user` that `authUser` registered (a revoked widget session), as an
   * unregister would; returns them so the caller can also close the flows they came in on.
   */
  removeRegisteredBy(user: string, authUser: string): Binding[] {
    const map = this.bindings.get(user);
    if (!map) return [];
    const removed: Binding[] = [];
    for (const [key, b] of map) {
      if (b.authUser !== authUser) continue;
      map.delete(key);
      removed.push(b);
    }
    if (map.size === 0) this.bindings.delete(user);
    for (const b of removed) this.emit('unregistered', b, 'removed');
    return removed;
  }

  /** Users with at least one live binding. */
  users(): string[] {
    return [...this.bindings.keys()].filter((u) => this.lookup(u).length > 0);
  }

  close(): void {
    clearInterval(this.sweepTimer);
    this.bindings.clear();
  }

  private keyOf(uri: string, instance?: string): string {
    // RFC 5626: the instance id identifies the device across Contact address changes.
    return instance ? `instance:${instance}` : `uri:${uri.toLowerCase()}`;
  }

  private sweep(): void {
    const now = this.now();
    for (const [user, map] of this.bindings) {
      for (const [key, b] of map) {
        if (b.expiresAt <= now) {
          map.delete(key);
          this.emit('unregistered', b, 'expired');
        }
      }
      if (map.size === 0) this.bindings.delete(user);
    }
  }
}
