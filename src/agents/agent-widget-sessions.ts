/**
 * Voylo agent-widget sessions: the customer's backend trades its API token and an agent's email
 * for a short-lived `voywt_` token the browser can hold. The agent is created on first sight
 * (SSO-style). The widget registers with SIP credentials derived from the session (a username
 * naming the session and an HMAC of it under the server's key), so nothing SIP-related is stored
 * and a revoked or expired session stops authenticating at once; the registrar binds it to the agent.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Agent, AgentWidgetSession, Store } from '../store/index.js';

export const WIDGET_TOKEN_PREFIX = 'voywt_';
export const WIDGET_TTL = { minSeconds: 300, maxSeconds: 86_400, defaultSeconds: 3600 } as const;
/** `voywt_` + 32 base64url characters (24 random bytes). */
export const WIDGET_TOKEN = /^voywt_[A-Za-z0-9_-]{32}$/;
const SIP_USER = /^agentwidget-(\d{1,15})$/;

export interface LiveWidgetSession {
  session: AgentWidgetSession;
  agent: Agent;
}

export interface MintedWidgetSession extends LiveWidgetSession {
  token: string;
}

export interface WidgetSipCredentials {
  /** The digest username: the session's, not the agent's. */
  username: string;
  password: string;
  /** The agent's username: the address-of-record it registers and calls as. */
  aor: string;
  displayName?: string;
}

export interface AgentWidgetEvents {
  /** A session was revoked: its registrations must go and its WebSocket close. */
  revoked: [{ sessionId: number; sipUser: string; aor: string }];
}

export interface AgentWidgetSessionsOptions {
  store: Store;
  /** HMAC key for the derived SIP passwords (the server's link-signing key). */
  secret: string;
  now?: () => number;
}

export class AgentWidgetSessions extends EventEmitter<AgentWidgetEvents> {
  private readonly now: () => number;

  constructor(private readonly opts: AgentWidgetSessionsOptions) {
    super();
    this.now = opts.now ?? Date.now;
  }

  /** A new session for the agent with this email in the project, creating the agent if needed. */
  async mint(
    projectId: number,
    req: { agentEmail: string; displayName: string; ttlSeconds?: number },
  ): Promise<MintedWidgetSession> {
    const agent = await this.agentFor(projectId, req.agentEmail, req.displayName);
    const token = WIDGET_TOKEN_PREFIX + randomBytes(24).toString('base64url');
    const ttl = req.ttlSeconds ?? WIDGET_TTL.defaultSeconds;
    // whole seconds, as the answer's ISO time shows them
    const expiresAt = new Date(Math.floor(this.now() / 1000) * 1000 + ttl * 1000).toISOString();
    const session = await this.opts.store.agentWidgetSessions.create({ projectId, agentId: agent.id, token, expiresAt });
    return { session, agent, token };
  }

  /** The live session (not expired, not revoked) a presented token opens, or undefined. */
  async authorize(token: string): Promise<LiveWidgetSession | undefined> {
    if (!WIDGET_TOKEN.test(token)) return undefined;
    const session = await this.opts.store.agentWidgetSessions.findByToken(token);
    return this.live(session);
  }

  /** Revokes a session and tells the SIP side to kick its browser. False when it was already revoked. */
  async revoke(session: AgentWidgetSession): Promise<boolean> {
    const changed = await this.opts.store.agentWidgetSessions.revoke(session.id);
    const agent = await this.opts.store.agents.get(session.agentId);
    // emitted even when already revoked: a second DELETE still makes sure nothing is left registered
    if (agent) this.emit('revoked', { sessionId: session.id, sipUser: this.sipUser(session.id), aor: agent.username });
    return changed;
  }

  /** The SIP credentials the widget registers with (handed to the iframe, which holds the token). */
  credentialsFor(live: LiveWidgetSession): WidgetSipCredentials {
    return {
      username: this.sipUser(live.session.id),
      password: this.sipPassword(live.session.id),
      aor: live.agent.username,
      ...(live.agent.displayName ? { displayName: live.agent.displayName } : {}),
    };
  }

  /** The registrar's lookup: digest credentials of a live session's SIP username, undefined otherwise. */
  async sipCredential(username: string): Promise<{ password: string; aor: string; displayName?: string } | undefined> {
    const id = SIP_USER.exec(username)?.[1];
    if (!id) return undefined;
    const live = await this.live(await this.opts.store.agentWidgetSessions.get(Number(id)));
    if (!live) return undefined;
    const c = this.credentialsFor(live);
    return { password: c.password, aor: c.aor, ...(c.displayName ? { displayName: c.displayName } : {}) };
  }

  sipUser(sessionId: number): string {
    return `agentwidget-${sessionId}`;
  }

  private sipPassword(sessionId: number): string {
    return createHmac('sha256', this.opts.secret).update(`agent-widget-sip:${sessionId}`).digest('base64url');
  }

  private async live(session: AgentWidgetSession | undefined): Promise<LiveWidgetSession | undefined> {
    if (!session || session.revokedAt || Date.parse(session.expiresAt) <= this.now()) return undefined;
    const agent = await this.opts.store.agents.get(session.agentId);
    if (!agent || agent.projectId !== session.projectId) return undefined;
    return { session, agent };
  }

  private async agentFor(projectId: number, email: string, displayName: string): Promise<Agent> {
    const agents = this.opts.store.agents;
    const existing = await agents.findByEmail(projectId, email);
    if (existing) return existing;
    // Usernames are global (the registrar's namespace): the email's local part, numbered if taken.
    const base =
      email
        .split('@')[0]!
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '')
        .slice(0, 40) || 'agent';
    for (let n = 1; ; n++) {
      const username = n === 1 ? base : `${base}-${n}`;
      if (await agents.findByUsername(username)) continue;
      // Nobody learns this password: the agent's browser registers with session-derived credentials.
      return agents.create({
        projectId,
        username,
        password: randomBytes(24).toString('base64url'),
        displayName,
        email,
      });
    }
  }
}
