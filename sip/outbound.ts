/**
 * Outbound INVITEs through srf: one attempt (`placeCall`) answers 401/407 challenges with our own
 * digest client (so SHA-256 works too, which srf's built-in client lacks), and `forkCall` rings
 * several contacts at once, keeping the first to answer and cancelling the rest.
 */
import type Srf from 'drachtio-srf';
import { pino, type Logger } from 'pino';
import { DigestClient, pickChallenge, type DigestCredentials } from './digest.js';
import { SipCallError, SipLeg, toCallError } from './legs.js';

export interface OutboundCall {
  readonly leg: Promise<SipLeg>;
  cancel(): void;
}

export interface CallAttempt {
  uri: string;
  /** Next hop (outbound proxy / NAT flow), e.g. `sip:1.2.3.4:5060;transport=ws`. */
  proxy?: string;
  sdp: string;
  headers?: Record<string, string>;
  auth?: DigestCredentials;
  onProgress?: (status: number, sdp?: string) => void;
  /** The SIP server sent the first INVITE, or failed to (srf's `cbRequest`); called once. */
  onSent?: () => void;
  logger?: Logger;
}

/** How many challenges one attempt answers (a second only when the first nonce went stale). */
const MAX_CHALLENGES = 2;

export function placeCall(srf: Srf, attempt: CallAttempt): OutboundCall {
  const logger = attempt.logger ?? pino({ level: 'silent' });
  let sentReq: Srf.SrfRequest | undefined;
  let canceled = false;
  const digest = attempt.auth ? new DigestClient(attempt.auth) : undefined;
  let told = false;
  const sent = () => {
    if (told) return;
    told = true;
    attempt.onSent?.();
  };

  const launch = async (headers: Record<string, string>, challenges: number): Promise<SipLeg> => {
    if (canceled) throw new SipCallError(487, 'Request Terminated');
    try {
      const dialog = await srf.createUAC(
        attempt.uri,
        { localSdp: attempt.sdp, headers: { ...headers }, proxy: attempt.proxy },
        {
          // srf calls this as (err, req) despite its typings declaring (req).
          cbRequest: ((err: unknown, req?: Srf.SrfRequest) => {
            sent();
            if (err || !req) return;
            sentReq = req;
            if (canceled) req.cancel(() => undefined);
          }) as unknown as (req: Srf.SrfRequest) => void,
          cbProvisional: (res: Srf.SrfResponse) => {
            if (res.status > 100) attempt.onProgress?.(res.status, res.body || undefined);
          },
        },
      );
      if (canceled) {
        // Answered while we were cancelling: the 200 crossed our CANCEL, so hang up at once.
        (dialog.destroy() as unknown as Promise<unknown>).catch(() => undefined);
        throw new SipCallError(487, 'Request Terminated');
      }
      return new SipLeg(dialog, logger);
    } catch (err) {
      const res = (err as { res?: Srf.SrfResponse }).res;
      const status = (err as { status?: number }).status;
      if ((status === 401 || status === 407) && res && digest && challenges < MAX_CHALLENGES && !canceled) {
        const header = status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
        const challenge = pickChallenge([res.get(header) ?? '']);
        const prev = (res as unknown as { req?: Srf.SrfRequest }).req;
        // A second challenge only makes sense if the server says our nonce was stale.
        if (challenge && prev && (challenges === 0 || /^true$/i.test(challenge.stale ?? ''))) {
          const cseq = parseInt(prev.get('CSeq') ?? '1', 10) + 1;
          const next: Record<string, string> = {
            ...(attempt.headers ?? {}),
            'Call-ID': prev.get('Call-ID') ?? '',
            CSeq: `${cseq} INVITE`,
            From: prev.get('From') ?? '',
            [status === 407 ? 'Proxy-Authorization' : 'Authorization']: digest.authorize(challenge, 'INVITE', attempt.uri),
          };
          logger.debug({ status, uri: attempt.uri }, 'answering INVITE challenge');
          return launch(next, challenges + 1);
        }
      }
      sent();
      throw toCallError(err);
    }
  };

  const leg = launch(attempt.headers ?? {}, 0);
  leg.catch(() => undefined);
  return {
    leg,
    cancel() {
      if (canceled) return;
      canceled = true;
      if (sentReq) sentReq.cancel(() => undefined);
    },
  };
}

/** Picks the response to report when every fork failed (RFC 3261 §16.7, simplified). */
export function bestFailure(errors: SipCallError[]): SipCallError {
  const six = errors.find((e) => e.status >= 600);
  if (six) return six;
  const busy = errors.find((e) => e.status === 486);
  if (busy) return busy;
  const specific = errors.find((e) => ![408, 480, 487, 500, 503].includes(e.status));
  return specific ?? errors[0] ?? new SipCallError(480, 'Temporarily Unavailable');
}

/** Rings every attempt in parallel; the first 200 wins, the others are cancelled (or hung up). */
export function forkCall(calls: OutboundCall[]): OutboundCall {
  if (calls.length === 1) return calls[0]!;
  let winner: SipLeg | undefined;
  let canceled = false;
  const leg = new Promise<SipLeg>((resolve, reject) => {
    if (calls.length === 0) {
      reject(new SipCallError(480, 'Temporarily Unavailable'));
      return;
    }
    const errors: SipCallError[] = [];
    calls.forEach((c) => {
      c.leg.then(
        (l) => {
          if (winner || canceled) {
            void l.hangup();
            return;
          }
          winner = l;
          for (const other of calls) if (other !== c) other.cancel();
          resolve(l);
        },
        (err: unknown) => {
          errors.push(toCallError(err));
          if (errors.length === calls.length)
            reject(canceled ? new SipCallError(487, 'Request Terminated') : bestFailure(errors));
        },
      );
    });
  });
  leg.catch(() => undefined);
  return {
    leg,
    cancel() {
      canceled = true;
      for (const c of calls) c.cancel();
    },
  };
}
