import type { DialAttempt, SipDialog } from './ports.js';

/** A failed branch: the SIP status it ended with. */
interface BranchFailure {
  status: number;
  reason: string;
}

/** The failure to report when every branch failed (RFC 3261 §16.7, simplified): 6xx, then busy, then the most specific. */
function bestFailure(errors: BranchFailure[]): BranchFailure {
  return (
    errors.find((e) => e.status >= 600) ??
    errors.find((e) => e.status === 486) ??
    errors.find((e) => ![408, 480, 487, 500, 503].includes(e.status)) ??
    errors[0] ?? { status: 480, reason: 'Temporarily Unavailable' }
  );
}

function failureOf(err: unknown): BranchFailure {
  const e = err as { status?: number; reason?: string };
  return { status: typeof e?.status === 'number' ? e.status : 500, reason: e?.reason ?? 'Failed' };
}

/**
 * Several INVITEs for one party (a user's registrations, each with the offer its kind needs) as one
 * attempt: the first 200 wins and says which branch it was; the others are cancelled, and a late
 * 200 from one of them is hung up at once. `leg` rejects with the best failure when all fail.
 */
export class ForkedAttempt implements DialAttempt {
  readonly leg: Promise<SipDialog>;
  /** Index of the branch that answered, once one did. */
  winner: number | undefined;
  private canceled = false;

  constructor(private readonly branches: DialAttempt[]) {
    this.leg = new Promise<SipDialog>((resolve, reject) => {
      const errors: BranchFailure[] = [];
      branches.forEach((b, i) => {
        b.leg.then(
          (dialog) => {
            if (this.winner !== undefined || this.canceled) {
              void dialog.hangup().catch(() => undefined);
              return;
            }
            this.winner = i;
            branches.forEach((other, j) => {
              if (j !== i) other.cancel();
            });
            resolve(dialog);
          },
          (err: unknown) => {
            errors.push(failureOf(err));
            if (errors.length < branches.length) return;
            const best = this.canceled ? { status: 487, reason: 'Request Terminated' } : bestFailure(errors);
            reject(Object.assign(new Error(`${best.status} ${best.reason}`), best));
          },
        );
      });
    });
    this.leg.catch(() => undefined);
  }

  cancel(): void {
    this.canceled = true;
    for (const b of this.branches) b.cancel();
  }
}
