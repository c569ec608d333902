import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { DtmfEvent } from '../../media/types.js';
import type { MediaEndpoint, SipDialog } from './ports.js';

/**
 * `caller`/`callee` are the two parties; `monitor` listens in (supervisor) without being heard;
 * `talker` is an extra participant (an embed's talk role): heard by all, but leaving ends only its leg.
 */
export type LegRole = 'caller' | 'callee' | 'monitor' | 'talker';

export interface LegEndInfo {
  by: 'local' | 'remote' | 'media';
  reason: string;
}

/**
 * One party of a call: a SIP dialog paired with the media endpoint its audio terminates on.
 * Keeps signalling and media consistent: re-offers go to the endpoint, DTMF from SIP INFO joins the
 * endpoint's RFC 4733 / in-band events, and a media failure tears the dialog down.
 */
export class Leg extends EventEmitter<{ ended: [LegEndInfo]; dtmf: [DtmfEvent] }> {
  private endedInfo: LegEndInfo | undefined;

  constructor(
    readonly role: LegRole,
    readonly dialog: SipDialog,
    readonly endpoint: MediaEndpoint,
    private readonly logger: Logger,
  ) {
    super();
    dialog.onReoffer = (offer) => endpoint.answer(offer);
    dialog.on('dtmf', ({ digit, durationMs }) => endpoint.injectDtmf(digit, durationMs));
    dialog.on('ended', ({ by, reason }) => this.finish({ by: by === 'remote' ? 'remote' : 'local', reason }));
    endpoint.on('dtmf', (e) => this.emit('dtmf', e));
    endpoint.on('failed', (why) => {
      this.logger.warn({ role, why }, 'media failed, ending leg');
      void this.hangup({ by: 'media', reason: why });
    });
  }

  get ended(): boolean {
    return this.endedInfo !== undefined;
  }

  /** Ends the dialog (BYE) unless the far end already did, then releases the endpoint. Idempotent. */
  async hangup(info: LegEndInfo = { by: 'local', reason: 'hangup' }): Promise<void> {
    if (this.endedInfo) return;
    // Settle first, so the dialog's own `ended` (emitted as the BYE goes out) does not win the attribution.
    this.finish(info);
    try {
      await this.dialog.hangup();
    } catch (err) {
      this.logger.debug({ err, role: this.role }, 'BYE failed');
    }
  }

  private finish(info: LegEndInfo): void {
    if (this.endedInfo) return;
    this.endedInfo = info;
    void this.endpoint.close().catch(() => undefined);
    this.emit('ended', info);
  }
}
