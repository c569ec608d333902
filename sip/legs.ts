/**
 * The signalling side of a call leg: one established INVITE dialog (ours as UAS or UAC) on
 * drachtio-srf. Turns the dialog's in-dialog traffic into typed events for the call layer:
 * BYE -> `ended`, INFO DTMF -> `dtmf`, other INFO -> `info`, re-INVITE -> `onReoffer`.
 */
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { pino, type Logger } from 'pino';
import { formatDtmfRelay, parseDtmfInfo } from './dtmf-info.js';
import { reply } from './reply.js';

/** A SIP failure of an outbound request or of a call attempt, with the status seen on the wire. */
export class SipCallError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${status} ${reason}`);
    this.name = 'SipCallError';
  }
}

export interface SipLegEvents {
  ended: [{ by: 'local' | 'remote'; reason: string }];
  dtmf: [{ digit: string; durationMs: number }];
  info: [{ contentType: string; body: string }];
  /** A peer's re-INVITE was answered (hold, resume, codec change); both SDPs are now current. */
  reoffer: [{ offer: string; answer: string; status: number }];
}

/** srf's Dialog carries more than its bundled typings declare; these are the parts we use. */
interface DialogInternals {
  connected?: boolean;
  local: { uri: string; sdp: string; contact?: string };
  remote: { uri: string; sdp: string };
}

export class SipLeg extends EventEmitter<SipLegEvents> {
  readonly callId: string;
  /** Called for a re-INVITE from the peer (hold/resume); must return the answer SDP. */
  onReoffer?: (offerSdp: string) => Promise<string>;
  /** Decides the answer to an INFO that is not DTMF relay (the call layer screens application events); default 200. */
  onInfo?: (info: { contentType: string; body: string }) => { status: number; reason?: string; headers?: Record<string, string> };
  private endedInfo: { by: 'local' | 'remote'; reason: string } | undefined;
  private readonly logger: Logger;

  constructor(
    readonly dialog: Srf.Dialog,
    logger?: Logger,
  ) {
    super();
    this.callId = dialog.sip.callId;
    this.logger = (logger ?? pino({ level: 'silent' })).child({ callId: this.callId });
    dialog.on('destroy', (req: Srf.SrfRequest, reason?: string) => {
      const fromNetwork = (req as unknown as { meta?: { source?: string } }).meta?.source !== 'application';
      this.finish({ by: fromNetwork ? 'remote' : 'local', reason: reason ?? 'normal release' });
    });
    dialog.on('modify', (req, res) => {
      this.onModify(req, res).catch((err: unknown) => {
        this.logger.warn({ err }, 're-INVITE handling failed');
        safeReply(res, 500);
      });
    });
    // RFC 3311: an UPDATE in an established dialog may carry a new offer (a moved port, a codec
    // change); it is negotiated exactly like a re-INVITE's, and one without SDP is a plain refresh.
    dialog.on('update' as 'modify', (req, res) => {
      this.onModify(req, res, 'UPDATE').catch((err: unknown) => {
        this.logger.warn({ err }, 'UPDATE handling failed');
        safeReply(res, 500);
      });
    });
    dialog.on('info', (req, res) => {
      try {
        this.handleInfo(req, res);
      } catch (err) {
        this.logger.warn({ err }, 'INFO handling failed');
        safeReply(res, 500);
      }
    });
  }

  get remoteSdp(): string {
    return this.internals.remote.sdp ?? '';
  }
  get localSdp(): string {
    return this.internals.local.sdp ?? '';
  }
  get ended(): boolean {
    return this.endedInfo !== undefined;
  }

  private get internals(): DialogInternals {
    return this.dialog as unknown as DialogInternals;
  }

  /** Our re-offer (hold, resume, codec change); resolves with the peer's answer. */
  async reinvite(sdp: string): Promise<string> {
    if (this.endedInfo) throw new SipCallError(481, 'Call Leg Ended');
    try {
      return await this.dialog.modify(sdp);
    } catch (err) {
      throw toCallError(err);
    }
  }

  async sendInfo(contentType: string, body: string): Promise<void> {
    if (this.endedInfo) throw new SipCallError(481, 'Call Leg Ended');
    let res: Srf.SrfResponse;
    try {
      res = await this.dialog.request({
        method: 'INFO',
        headers: { 'Content-Type': contentType },
        body,
      } as unknown as Srf.SrfRequest);
    } catch (err) {
      throw toCallError(err);
    }
    if (res.status < 200 || res.status >= 300) throw new SipCallError(res.status, res.reason);
  }

  /** Sends one digit as SIP INFO `application/dtmf-relay`. */
  sendDtmf(digit: string, durationMs = 100): Promise<void> {
    return this.sendInfo('application/dtmf-relay', formatDtmfRelay(digit, durationMs));
  }

  /** Ends the dialog with BYE (no-op once ended). */
  async hangup(): Promise<void> {
    if (this.endedInfo) return;
    this.finish({ by: 'local', reason: 'hangup' });
    try {
      await this.dialog.destroy();
    } catch (err) {
      this.logger.debug({ err }, 'BYE failed');
    }
  }

  private finish(info: { by: 'local' | 'remote'; reason: string }): void {
    if (this.endedInfo) return;
    this.endedInfo = info;
    this.logger.debug(info, 'leg ended');
    this.emit('ended', info);
  }

  private async onModify(req: Srf.SrfRequest, res: Srf.SrfResponse, method: 'INVITE' | 'UPDATE' = 'INVITE'): Promise<void> {
    const offer = req.body ?? '';
    if (method === 'UPDATE' && !offer) {
      // No offer: nothing to negotiate (a session refresh); our SDP stays as it is.
      if (!res.finalResponseSent)
        res.send(200, this.internals.local.contact ? { headers: { Contact: this.internals.local.contact } } : {});
      return;
    }
    let answer = this.localSdp;
    if (offer && this.onReoffer) {
      try {
        answer = await this.onReoffer(offer);
      } catch (err) {
        const negotiation = (err as { name?: string }).name === 'SdpNegotiationError';
        this.logger.info({ err, method }, 're-offer refused');
        const status = negotiation ? 488 : 500;
        reply(res, status, negotiation ? 'Not Acceptable Here' : 'Server Internal Error');
        this.emit('reoffer', { offer, answer: this.localSdp, status });
        return;
      }
      this.internals.local.sdp = answer;
      // srf records a re-INVITE's offer itself, not an UPDATE's.
      if (method === 'UPDATE') this.internals.remote.sdp = offer;
    }
    if (res.finalResponseSent) return;
    const headers: Record<string, string> = { 'Content-Type': 'application/sdp' };
    if (this.internals.local.contact) headers.Contact = this.internals.local.contact;
    res.send(200, { headers, body: answer });
    this.emit('reoffer', { offer, answer, status: 200 });
  }

  private handleInfo(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const contentType = req.get('Content-Type') ?? '';
    const body = req.body ?? '';
    const dtmf = parseDtmfInfo(contentType, body);
    if (dtmf) {
      reply(res, 200);
      this.emit('dtmf', dtmf);
      return;
    }
    const answer = this.onInfo?.({ contentType, body }) ?? { status: 200 };
    reply(res, answer.status, answer.reason, answer.headers);
    if (answer.status >= 200 && answer.status < 300) this.emit('info', { contentType, body });
  }
}

function safeReply(res: Srf.SrfResponse, status: number): void {
  try {
    reply(res, status);
  } catch {
    /* the transaction is gone; nothing left to answer */
  }
}

/** Maps srf's errors (SipError with status, or transport errors) to SipCallError. */
export function toCallError(err: unknown): SipCallError {
  if (err instanceof SipCallError) return err;
  const e = err as { status?: number; reason?: string; message?: string; code?: string };
  if (typeof e?.status === 'number') return new SipCallError(e.status, e.reason ?? 'Failed');
  if (e?.code === 'ENODIALOG') return new SipCallError(481, 'Call/Transaction Does Not Exist');
  return new SipCallError(500, e?.message ?? String(err));
}
