/**
 * Keeps one trunk registered at its carrier (RFC 3261 §10.2): REGISTER, answer the 401/407
 * challenge, refresh well before the granted expiry, and while the carrier is down or refusing,
 * retry with exponential backoff. One Call-ID for the life of the registration, CSeq increasing.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { DigestClient, pickChallenge } from './digest.js';
import { parseContactList } from './name-addr.js';

/** What the registration needs from the wire: send one REGISTER, get its final response. */
export interface RegisterResponse {
  status: number;
  reason: string;
  get(name: string): string | undefined;
}
export type RegisterSender = (req: { uri: string; headers: Record<string, string> }) => Promise<RegisterResponse>;

export interface TrunkRegistrationOptions {
  trunk: string;
  /** Request-URI: `sip:carrier.example:5060;transport=tcp`. */
  registrarUri: string;
  /** Address-of-record, `sip:user@domain`. */
  aor: string;
  /** Our Contact URI (host `localhost` is filled in by the SIP server). */
  contact: string;
  expires: number;
  username?: string;
  password?: string;
  send: RegisterSender;
  retry?: { baseMs: number; maxMs: number };
  /** An attempt with no final response within this time counts as a failure. */
  requestTimeoutMs?: number;
  logger?: Logger;
}

export type TrunkRegistrationState = 'idle' | 'registering' | 'registered' | 'failed' | 'stopped';

export interface TrunkRegistrationEvents {
  registered: [{ expires: number }];
  failed: [{ status: number; reason: string; retryInMs: number }];
  unregistered: [];
}

export class TrunkRegistration extends EventEmitter<TrunkRegistrationEvents> {
  state: TrunkRegistrationState = 'idle';
  /** Seconds granted by the carrier on the last success. */
  grantedExpires = 0;
  private readonly callId = `${randomBytes(12).toString('hex')}@switchboard`;
  private readonly fromTag = randomBytes(6).toString('hex');
  private cseq = 1;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly digest: DigestClient | undefined;
  private readonly logger: Logger;
  private generation = 0;

  constructor(private readonly opts: TrunkRegistrationOptions) {
    super();
    this.logger = (opts.logger ?? pino({ level: 'silent' })).child({ trunk: opts.trunk });
    this.digest =
      opts.username && opts.password ? new DigestClient({ username: opts.username, password: opts.password }) : undefined;
  }

  start(): void {
    if (this.state !== 'idle') return;
    void this.attempt();
  }

  /** Stops refreshing and, if registered, removes the binding (Expires: 0). */
  async stop(): Promise<void> {
    const wasRegistered = this.state === 'registered';
    this.state = 'stopped';
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!wasRegistered) return;
    try {
      // Shutdown must not hang on a dead carrier: the binding lapses on its own anyway.
      const res = await this.exchange(0, this.generation, Math.min(this.opts.requestTimeoutMs ?? 32_000, 4000));
      if (res && res.status >= 200 && res.status < 300) this.emit('unregistered');
    } catch (err) {
      this.logger.debug({ err }, 'un-REGISTER failed');
    }
  }

  private backoffMs(): number {
    const { baseMs, maxMs } = this.opts.retry ?? { baseMs: 2000, maxMs: 300_000 };
    const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, this.failures - 1));
    // A little jitter so many trunks on one carrier do not retry in lockstep.
    return Math.round(exp * (0.9 + Math.random() * 0.2));
  }

  private schedule(ms: number): void {
    if (this.state === 'stopped') return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attempt(), ms);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    if (this.state === 'stopped') return;
    const gen = this.generation;
    if (this.state !== 'registered') this.state = 'registering';
    let res: RegisterResponse | undefined;
    let error: string | undefined;
    try {
      res = await this.exchange(this.opts.expires, gen);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (gen !== this.generation || (this.state as TrunkRegistrationState) === 'stopped') return;
    if (res && res.status >= 200 && res.status < 300) {
      this.failures = 0;
      this.grantedExpires = this.grantedFrom(res);
      this.state = 'registered';
      // Refresh with margin: at most 85% of the interval and at least 5 s before it lapses.
      const refreshIn = Math.max(1, Math.min(this.grantedExpires * 0.85, this.grantedExpires - 5)) * 1000;
      this.logger.info({ expires: this.grantedExpires }, 'trunk registered');
      this.emit('registered', { expires: this.grantedExpires });
      this.schedule(refreshIn);
      return;
    }
    if (res?.status === 423) {
      const min = Number(res.get('Min-Expires'));
      if (Number.isFinite(min) && min > this.opts.expires) {
        this.opts.expires = min;
        this.schedule(0);
        return;
      }
    }
    this.failures++;
    this.state = 'failed';
    const retryInMs = this.backoffMs();
    const status = res?.status ?? 408;
    const reason = res?.reason ?? error ?? 'No Response';
    this.logger.warn({ status, reason, retryInMs }, 'trunk registration failed');
    this.emit('failed', { status, reason, retryInMs });
    this.schedule(retryInMs);
  }

  private grantedFrom(res: RegisterResponse): number {
    const contacts = parseContactList(res.get('Contact') ?? '');
    if (Array.isArray(contacts)) {
      const token = /;line=([^;>]+)/.exec(this.opts.contact)?.[1];
      const mine = contacts.find((c) => (token ? c.uri.includes(`line=${token}`) : true) && c.params.expires !== undefined);
      if (mine) {
        const n = Number(mine.params.expires);
        if (Number.isFinite(n) && n > 0) return n;
      }
    }
    const header = Number(res.get('Expires'));
    return Number.isFinite(header) && header > 0 ? header : this.opts.expires;
  }

  /** One REGISTER, answering up to one challenge (two if the first nonce went stale). */
  private async exchange(expires: number, gen: number, timeoutMs?: number): Promise<RegisterResponse | undefined> {
    let auth: Record<string, string> = {};
    for (let round = 0; round < 3; round++) {
      if (gen !== this.generation) return undefined;
      const headers: Record<string, string> = {
        From: `<${this.opts.aor}>;tag=${this.fromTag}`,
        To: `<${this.opts.aor}>`,
        'Call-ID': this.callId,
        CSeq: `${this.cseq++} REGISTER`,
        Contact: `<${this.opts.contact}>`,
        Expires: String(expires),
        ...auth,
      };
      const res = await this.withTimeout(this.opts.send({ uri: this.opts.registrarUri, headers }), timeoutMs);
      if (res.status !== 401 && res.status !== 407) return res;
      const header = res.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
      const challenge = pickChallenge([res.get(header) ?? '']);
      const retryable = round === 0 || /^true$/i.test(challenge?.stale ?? '');
      if (!this.digest || !challenge || !retryable) return res;
      auth = {
        [res.status === 407 ? 'Proxy-Authorization' : 'Authorization']: this.digest.authorize(
          challenge,
          'REGISTER',
          this.opts.registrarUri,
        ),
      };
    }
    throw new Error('too many challenges');
  }

  private withTimeout<T>(p: Promise<T>, timeoutMs?: number): Promise<T> {
    const ms = timeoutMs ?? this.opts.requestTimeoutMs ?? 32_000;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('Request Timeout')), ms);
      t.unref();
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }
}

export function newLineToken(): string {
  return randomBytes(5).toString('hex');
}
