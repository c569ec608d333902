/**
 * Phonevoice embed sessions: a signed, single-use URL that opens a browser softphone bound to one
 * live call in one role (`agent`, `talk`, `listen`). Opening the URL mints SIP credentials good for
 * that embed only (`embed-<id>` and a random password); the page's INVITE, authenticated with them,
 * is claimed here whatever it dials, and the role decides what the server does with it. Sessions
 * live in memory with their call: a restart ends the calls, and with them every embed.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CallRecord } from '../store/index.js';
import { CallRequestError } from './api-calls.js';
import type { BrowserBridges } from './browser-bridge.js';
import type { Call } from './call.js';
import { EmbedTokens, type EmbedClaims, type EmbedRole } from './embed-tokens.js';
import { joinParticipant } from './embed-legs.js';
import type { InboundInvite } from './ports.js';

export const EMBED_TTL_SECONDS = 300;
/** More than enough for an agent, a few talkers and supervisors; bounds memory per call. */
const MAX_SESSIONS_PER_CALL = 20;
const SIP_USER = /^embed-([0-9a-f]{32})$/;

export interface EmbedSessionsOptions {
  /** HMAC key for embed URLs (the server's link-signing key). */
  secret: string;
  /** The live call of a `phone_call_id`. */
  liveCall(recordId: number): Call | undefined;
  browser: Pick<BrowserBridges, 'isWaiting' | 'admit'>;
  /** How long a talk/listen page waits for both parties to be on the line. */
  connectTimeoutMs: number;
  logger: Logger;
  now?: () => number;
}

interface Session extends EmbedClaims {
  telephonyRef: string | null;
  opened: boolean;
  /** Set at open: the embed's SIP password (digest needs it in clear; it dies with the session). */
  sipPassword?: string;
  /** Its one INVITE was taken; credentials stop working. */
  used: boolean;
}

export type EmbedOpen =
  | { ok: true; role: EmbedRole; callId: number; sipUser: string; sipPassword: string }
  | { ok: false; status: 403 | 410; reason: string };

/**
 * Why a call has no agent side for a browser to take (the 409's words). The seed's agent role is
 * the softphone of a browser-mode bridge: it starts the call, and the client is dialled when it
 * connects. A phone bridge's agent is already on the line they answered ("sans navigateur"):
 * taking that side over from a browser would cut a person off mid-call, so it is refused, and
 * the roles that do fit (talk, listen) are named.
 */
export function whyNoAgentSide(record: CallRecord, call: Pick<Call, 'route'>): string {
  const others = 'use role "talk" to speak from a browser, or "listen"';
  if (call.route === 'api-browser')
    return `role agent: this call's agent has already joined (an agent embed is one agent, once); ${others}`;
  if (record.applicationId !== null)
    return `role agent: this call is answered by an application, it has no agent side; ${others}`;
  if (call.route === 'api' && record.telephonyRef)
    return (
      'role agent: this is a phone bridge, its agent is on the phone line it rang (inbound_phone_number) and keeps it; ' +
      `an agent softphone is for a bridge started with vendeur_mode "browser"; ${others}`
    );
  return `role agent: only a bridge started with vendeur_mode "browser" has an agent softphone; ${others}`;
}

export class EmbedSessions {
  private readonly tokens: EmbedTokens;
  private readonly sessions = new Map<string, Session>();
  private readonly byCall = new Map<number, Set<string>>();
  private readonly now: () => number;

  constructor(private readonly opts: EmbedSessionsOptions) {
    this.tokens = new EmbedTokens(opts.secret);
    this.now = opts.now ?? Date.now;
  }

  /**
   * A new session for a live call of the project; the token goes in the embed URL. `agent` needs a
   * browser-mode call still waiting for its agent; `issuedAt` lets tests mint an already expired one.
   */
  create(record: CallRecord, role: EmbedRole, issuedAt = this.now()): { token: string; expiresIn: number } {
    const call = this.opts.liveCall(record.id);
    if (!call || call.isEnded()) throw new CallRequestError(409, 'the call is over (or not live on this server)');
    if (role === 'agent' && !(record.telephonyRef && this.opts.browser.isWaiting(record.telephonyRef)))
      throw new CallRequestError(409, whyNoAgentSide(record, call));
    let ids = this.byCall.get(record.id);
    if (ids && ids.size >= MAX_SESSIONS_PER_CALL)
      throw new CallRequestError(409, `at most ${MAX_SESSIONS_PER_CALL} embed sessions per call`);
    if (!ids) {
      ids = new Set();
      this.byCall.set(record.id, ids);
      call.once('ending', () => this.forgetCall(record.id));
    }
    const session: Session = {
      id: randomBytes(16).toString('hex'),
      projectId: record.projectId,
      callId: record.id,
      role,
      exp: Math.floor(issuedAt / 1000) + EMBED_TTL_SECONDS,
      telephonyRef: record.telephonyRef,
      opened: false,
      used: false,
    };
    this.sessions.set(session.id, session);
    ids.add(session.id);
    return { token: this.tokens.sign(session), expiresIn: EMBED_TTL_SECONDS };
  }

  /** Opens an embed URL once: the SIP credentials for its page, or why it is refused. */
  open(token: string): EmbedOpen {
    const parsed = this.tokens.parse(token);
    const session = parsed && this.sessions.get(parsed.id);
    // Unknown and forged look the same: nothing to learn by probing.
    if (!parsed || !session || parsed.exp !== session.exp || !this.tokens.verify(session, parsed.sig))
      return { ok: false, status: 403, reason: 'This embed link is not valid.' };
    if (session.exp * 1000 <= this.now()) return { ok: false, status: 410, reason: 'This embed link has expired.' };
    if (session.opened) return { ok: false, status: 410, reason: 'This embed link was already used.' };
    const call = this.opts.liveCall(session.callId);
    if (!call || call.isEnded()) return { ok: false, status: 410, reason: 'This call is over.' };
    session.opened = true;
    session.sipPassword = randomBytes(24).toString('base64url');
    return {
      ok: true,
      role: session.role,
      callId: session.callId,
      sipUser: `embed-${session.id}`,
      sipPassword: session.sipPassword,
    };
  }

  /** Digest credentials of an opened, not yet used embed; undefined for any other username. */
  sipCredential(username: string): { password: string } | undefined {
    const id = SIP_USER.exec(username)?.[1];
    const session = id ? this.sessions.get(id) : undefined;
    if (!session?.sipPassword || session.used) return undefined;
    return { password: session.sipPassword };
  }

  /** Takes an INVITE authenticated as an embed (whatever it dials); false for anyone else's. */
  claim(invite: InboundInvite): boolean {
    if (invite.origin.kind !== 'user') return false;
    const id = SIP_USER.exec(invite.origin.user)?.[1];
    if (!id) return false;
    const session = this.sessions.get(id);
    const call = session ? this.opts.liveCall(session.callId) : undefined;
    if (!session || session.used || !call || call.isEnded()) {
      invite.reject(404, 'Not Found');
      return true;
    }
    // One INVITE per embed: a second one (or a replay) finds nothing.
    session.used = true;
    if (session.role === 'agent') {
      if (!session.telephonyRef || !this.opts.browser.admit(invite, session.telephonyRef)) invite.reject(404, 'Not Found');
      return true;
    }
    const role = session.role === 'listen' ? 'monitor' : 'talker';
    void joinParticipant(call, invite, { role, connectTimeoutMs: this.opts.connectTimeoutMs }).catch((err: unknown) => {
      call.logger.warn({ err, role: session.role }, 'embed participant failed');
    });
    return true;
  }

  /** Sessions alive now (tests: a call's end leaves none behind). */
  get size(): number {
    return this.sessions.size;
  }

  private forgetCall(callId: number): void {
    for (const id of this.byCall.get(callId) ?? []) this.sessions.delete(id);
    this.byCall.delete(callId);
  }
}
