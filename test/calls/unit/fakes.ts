/** Fakes of the call layer's ports (src/calls/ports.ts): SIP INVITEs, dialogs, the dialer, media. */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { DtmfEvent, EndpointKind } from '../../../media/types.js';
import type {
  CallOrigin,
  DialAttempt,
  DialRequest,
  DialTarget,
  InboundInvite,
  MediaEndpoint,
  MediaMixer,
  MediaPlayback,
  MediaRecording,
  MediaSessionPort,
  SipDialog,
  SipDialogEvents,
  SipPort,
} from '../../../src/calls/ports.js';
import type { DidEntry, RoutingDirectory } from '../../../src/calls/router.js';

export const OFFER = 'v=0\r\nm=audio 4000 RTP/AVP 0\r\n';
export const CALLEE_SDP = 'v=0\r\nm=audio 5000 RTP/AVP 0\r\n';
/** An offer the fake endpoint cannot answer (no common codec). */
export const BAD_OFFER = 'v=0\r\nm=audio 4000 RTP/AVP 99\r\n';

export class FakeDialog extends EventEmitter<SipDialogEvents> implements SipDialog {
  readonly callId = `dlg-${Math.random().toString(36).slice(2)}`;
  localSdp = '';
  onReoffer?: (offer: string) => Promise<string>;
  onInfo?: SipDialog['onInfo'];
  byes = 0;
  private ended = false;
  constructor(readonly remoteSdp = OFFER) {
    super();
  }
  async hangup(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.byes++;
    this.emit('ended', { by: 'local', reason: 'hangup' });
  }
  /** The peer sends BYE. */
  remoteBye(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('ended', { by: 'remote', reason: 'normal release' });
  }
}

export interface FinalResponse {
  status: number;
  reason?: string;
  headers?: Record<string, string>;
  byStack?: boolean;
}

/** The caller's INVITE. `finals` records every final response, including the stack's 487 after CANCEL. */
export class FakeInvite extends EventEmitter<{ cancel: [] }> implements InboundInvite {
  readonly callId = `inv-${Math.random().toString(36).slice(2)}`;
  readonly from = { user: 'alice', uri: 'sip:alice@example.test' };
  readonly to: { user?: string; uri: string };
  /** The To header, when a test sets one different from the Request-URI. */
  toHeader: { user?: string; uri: string } | undefined;
  readonly provisional: number[] = [];
  /** The SDP of our last 183 (early media). */
  earlySdp: string | undefined;
  readonly finals: FinalResponse[] = [];
  dialog: FakeDialog | undefined;
  /** When set, answer() waits for it (the 200 is on the wire, the ACK not yet back). */
  ackGate: Promise<void> | undefined;
  private canceled = false;

  constructor(
    dialed: string,
    readonly offer = OFFER,
    readonly origin: CallOrigin = { kind: 'user', user: 'alice' },
  ) {
    super();
    this.to = { user: dialed, uri: `sip:${dialed}@example.test` };
  }

  ringing(sdp?: string): void {
    if (this.finals.length > 0) return;
    this.provisional.push(sdp ? 183 : 180);
    if (sdp) this.earlySdp = sdp;
  }

  async answer(sdp: string): Promise<SipDialog> {
    if (this.canceled) throw Object.assign(new Error('487 Request Terminated'), { status: 487 });
    if (this.finals.length > 0) throw Object.assign(new Error('already answered'), { status: 500 });
    this.finals.push({ status: 200 });
    if (this.ackGate) await this.ackGate;
    if (this.canceled) throw Object.assign(new Error('487 Request Terminated'), { status: 487 });
    this.dialog = new FakeDialog(OFFER);
    this.dialog.localSdp = sdp;
    return this.dialog;
  }

  reject(status: number, reason?: string, headers?: Record<string, string>): void {
    if (this.finals.length > 0) return;
    this.finals.push({ status, reason, headers });
  }

  /** The caller's CANCEL: the SIP stack answers the INVITE 487 itself, unless it was answered already. */
  cancelByCaller(): void {
    if (this.canceled) return;
    const crossing = this.finals.length > 0;
    this.canceled = true;
    if (!crossing) this.finals.push({ status: 487, byStack: true });
    this.emit('cancel');
  }
}

/** One outbound INVITE; the test answers, rejects or lets it ring. A CANCEL ends it 487 unless it was answered. */
export class FakeAttempt implements DialAttempt {
  readonly leg: Promise<SipDialog>;
  canceled = false;
  settled = false;
  dialog: FakeDialog | undefined;
  private resolve!: (d: SipDialog) => void;
  private rejectLeg!: (e: Error) => void;
  constructor(
    readonly target: DialTarget,
    readonly request: DialRequest,
  ) {
    this.leg = new Promise((res, rej) => {
      this.resolve = res;
      this.rejectLeg = rej;
    });
    this.leg.catch(() => undefined);
  }
  ring(status = 180, sdp?: string): void {
    this.request.onProgress?.(status, sdp);
  }
  answer(sdp = CALLEE_SDP): FakeDialog {
    this.settled = true;
    this.dialog = new FakeDialog(sdp);
    this.resolve(this.dialog);
    return this.dialog;
  }
  fail(status: number, reason = 'Failed'): void {
    this.settled = true;
    this.rejectLeg(Object.assign(new Error(`${status} ${reason}`), { status, reason }));
  }
  cancel(): void {
    this.canceled = true;
    if (!this.settled) this.fail(487, 'Request Terminated');
  }
}

export class FakeSip extends EventEmitter<{ call: [InboundInvite]; dialed: [FakeAttempt] }> implements SipPort {
  readonly attempts: FakeAttempt[] = [];
  /** Registrations per user, when a test needs several (a desk phone and a browser); else one UDP contact per registered user. */
  readonly bindings = new Map<string, { contact: string; source: { transport: string } }[]>();
  readonly registrar = {
    lookup: (user: string) =>
      this.bindings.get(user) ??
      (this.registered.has(user) ? [{ contact: `sip:${user}@127.0.0.1:5062`, source: { transport: 'udp' } }] : []),
  };
  constructor(private readonly registered = new Set(['bob'])) {
    super();
  }
  dial(target: DialTarget, opts: DialRequest): DialAttempt {
    const attempt = new FakeAttempt(target, opts);
    this.attempts.push(attempt);
    // The stack says the INVITE left (srf's cbRequest) once it went out, after this dial() returned.
    queueMicrotask(() => opts.onSent?.());
    if ('user' in target && !this.registered.has(target.user)) attempt.fail(480, 'Temporarily Unavailable');
    this.emit('dialed', attempt);
    return attempt;
  }
}

export class FakeEndpoint extends EventEmitter<{ dtmf: [DtmfEvent]; failed: [string]; closed: [] }> implements MediaEndpoint {
  closed = false;
  remoteAnswer: string | undefined;
  remoteAnswers = 0;
  /** The fake answers PCMU, as a carrier leg would. */
  narrowband = false;
  constructor(
    readonly kind: EndpointKind,
    /** What createEndpoint was asked for. */
    readonly opts: { withOffer?: boolean; maxPlaybackRate?: number } = {},
  ) {
    super();
  }
  async answer(offer: string): Promise<string> {
    if (/RTP\/AVP 99/.test(offer)) throw Object.assign(new Error('no common codec'), { name: 'SdpNegotiationError' });
    this.narrowband = true;
    return 'v=0\r\nm=audio 6000 RTP/AVP 0\r\n';
  }
  async createOffer(): Promise<string> {
    return 'v=0\r\nm=audio 7000 RTP/AVP 0 8\r\n';
  }
  async setRemoteAnswer(sdp: string): Promise<void> {
    if (/RTP\/AVP 99/.test(sdp)) throw Object.assign(new Error('no common codec'), { name: 'SdpNegotiationError' });
    this.remoteAnswer = sdp;
    this.remoteAnswers++;
  }
  injectDtmf(): void {}
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.emit('closed');
    }
  }
}

class FakePlayback extends EventEmitter<{ ended: [{ reason: string }] }> implements MediaPlayback {
  stop(): void {
    this.emit('ended', { reason: 'stopped' });
  }
}

export class FakeSession implements MediaSessionPort {
  closed = false;
  readonly endpoints: FakeEndpoint[] = [];
  readonly bridges: [MediaEndpoint, MediaEndpoint][] = [];
  readonly echoes: MediaEndpoint[] = [];
  readonly mixerParties: { ep: MediaEndpoint; listenOnly?: boolean }[] = [];
  async createEndpoint(kind: EndpointKind, opts?: { withOffer?: boolean; maxPlaybackRate?: number }): Promise<MediaEndpoint> {
    if (this.closed) throw new Error('session closed');
    const ep = new FakeEndpoint(kind, opts);
    this.endpoints.push(ep);
    return ep;
  }
  async bridge(a: MediaEndpoint, b: MediaEndpoint): Promise<void> {
    this.bridges.push([a, b]);
  }
  async unbridge(): Promise<void> {}
  async echo(ep: MediaEndpoint): Promise<void> {
    this.echoes.push(ep);
  }
  async play(): Promise<MediaPlayback> {
    return new FakePlayback();
  }
  async record(path: string): Promise<MediaRecording> {
    return { stop: async () => ({ path, durationMs: 0 }) };
  }
  async createMixer(): Promise<MediaMixer> {
    return {
      add: async (ep, opts) => {
        this.mixerParties.push({ ep, listenOnly: opts?.listenOnly });
      },
      remove: async () => undefined,
      close: async () => undefined,
    };
  }
  async close(): Promise<void> {
    this.closed = true;
    for (const ep of this.endpoints) await ep.close();
  }
}

export class FakeMedia {
  readonly sessions: FakeSession[] = [];
  /** Seconds of Retry-After when set: createSession refuses like an overloaded MediaServer. */
  overloadedFor: number | undefined;
  async createSession(): Promise<MediaSessionPort> {
    if (this.overloadedFor !== undefined) {
      throw Object.assign(new Error('media server at capacity'), { name: 'MediaOverloadError', retryAfter: this.overloadedFor });
    }
    const s = new FakeSession();
    this.sessions.push(s);
    return s;
  }
}

/** A pino logger whose JSON lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** Waits for a condition to hold (the call layer's work is a few promise turns away). */
export async function until(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * The store as routing sees it: DIDs and agents in maps. `gate`, when set, holds every lookup until
 * it resolves (a slow database).
 */
export class FakeDirectory implements RoutingDirectory {
  readonly numbers = new Map<string, DidEntry>();
  readonly agents = new Map<number, { username: string; projectId: number }>();
  gate: Promise<void> | undefined;
  lookups = 0;
  constructor(usernames: string[] = []) {
    usernames.forEach((u, i) => {
      this.agents.set(i + 1, { username: u, projectId: 1 });
    });
  }
  addNumber(e164: string, projectId: number | null, target: DidEntry['target'], extra: Partial<DidEntry> = {}): void {
    this.numbers.set(e164, {
      e164,
      trunk: 'carrier',
      projectId,
      target,
      forwardTo: target?.kind === 'forward' ? target.forwardTo : null,
      relayEnabled: target?.kind === 'forward',
      ...extra,
    });
  }
  agentId(username: string): number {
    for (const [id, a] of this.agents) if (a.username === username) return id;
    throw new Error(`no agent ${username}`);
  }
  async findNumber(e164: string): Promise<DidEntry | undefined> {
    await this.wait();
    return this.numbers.get(e164);
  }
  async findAgent(id: number): Promise<{ username: string; projectId: number } | undefined> {
    await this.wait();
    return this.agents.get(id);
  }
  async isAgent(username: string): Promise<boolean> {
    await this.wait();
    return [...this.agents.values()].some((a) => a.username === username);
  }
  private async wait(): Promise<void> {
    this.lookups++;
    if (this.gate) await this.gate;
  }
}
