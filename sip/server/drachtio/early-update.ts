/**
 * UPDATE in an early dialog (RFC 3311 §5.1): the INVITE has a 1xx with a To tag but no final response
 * yet, so the dialog exists for the peer while we (and drachtio-srf, whose dialogs start at the 2xx)
 * have none. The server answers such an UPDATE itself rather than 481: an offer in it collides with
 * the INVITE's own offer/answer, which is only complete with the final response (we never send
 * reliable provisionals), so it is refused as RFC 3311 §5.2 prescribes; the peer retries after the
 * answer, when the app negotiates it in the confirmed dialog.
 */
import type { SipRequest } from '../message.js';
import { makeDialogId } from '../dialog.js';
import type { Refusal } from './request-checks.js';

/** An INVITE still waiting for its final response, as seen from one side of its early dialog. */
interface EarlyInvite {
  role: 'uas' | 'uac';
  /** Our tag in the dialog (UAS: the To tag we put on our 1xx; UAC: our From tag). */
  localTag: () => string | undefined;
  /** The INVITE carried an offer (else the offer is ours, made in a response). */
  inviteHadOffer: boolean;
  pending: () => boolean;
}

export class EarlyInvites {
  private readonly byDialog = new Map<string, EarlyInvite>();

  /** Remembers an INVITE by its dialog id until `ended` fires. */
  track(dialogId: string, invite: EarlyInvite, ended: (fn: () => void) => void): void {
    this.byDialog.set(dialogId, invite);
    ended(() => {
      if (this.byDialog.get(dialogId) === invite) this.byDialog.delete(dialogId);
    });
  }

  /** The early dialog an in-dialog request belongs to, if its INVITE still waits for a final. */
  find(req: SipRequest, fromTag: string, toTag: string): EarlyInvite | undefined {
    // As UAS the dialog is keyed by the peer's From tag; as UAC by ours, which is the peer's To tag.
    const uas = this.byDialog.get(makeDialogId(req.callId, fromTag));
    if (uas?.role === 'uas' && uas.pending() && uas.localTag() === toTag) return uas;
    const uac = this.byDialog.get(makeDialogId(req.callId, toTag));
    if (uac?.role === 'uac' && uac.pending() && uac.localTag() === toTag) return uac;
    return undefined;
  }

  get size(): number {
    return this.byDialog.size;
  }
}

/**
 * The answer to an UPDATE in `early` (RFC 3311 §5.2). With an offer: 491 when the pending offer is
 * ours (we wait for its answer), else 500 with a random Retry-After of 0-10 s (we have an offer we
 * have not answered finally). Without one it only refreshes the dialog: 200, with our Contact.
 */
export function earlyUpdateAnswer(early: EarlyInvite, update: SipRequest, contact: string): Refusal {
  if (update.body.length === 0) return { status: 200, reason: 'OK', headers: [['Contact', contact]] };
  const oursPending = early.role === 'uas' ? !early.inviteHadOffer : early.inviteHadOffer;
  if (oursPending) return { status: 491, reason: 'Request Pending', headers: [] };
  return { status: 500, reason: 'Server Internal Error', headers: [['Retry-After', String(Math.floor(Math.random() * 11))]] };
}
