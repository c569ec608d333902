import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { SipLeg } from '../../sip/sip-app.js';
import type { Endpoint } from '../../media/index.js';
import type { DtmfEvent } from '../../media/types.js';

export type LegRole = 'caller' | 'callee';

export interface LegEndInfo { by: 'local' | 'remote' | 'media'; reason: string }

/**
 * One party of a call: a SIP dialog paired with the media endpoint its audio terminates on.
 * Keeps signalling and media consistent: re-offers go to the endpoint, DTMF from SIP INFO joins the
 * endpoint's RFC 4733 / in-band events, and a media failure tears the dialog down.
 */
export class Leg extends EventEmitter<{ ended: [LegEndInfo]; dtmf: [DtmfEvent] }> {
  private endedInfo: LegEndInfo | undefined;

  constructor(
    readonly role: LegRole,
    readonly dialog: SipLeg,
    readonly endpoint: Endpoint,
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

  get ended(): boolean { return this.endedInfo !== undefined; }

  /** Ends the dialog (BYE) unless the far end already did, then releases the endpoint. */
  async hangup(info: LegEndInfo = { by: 'local', reason: 'hangup' }): Promise<void> {
    if (this.endedInfo) return;
    try {
      await this.dialog.hangup();
    } catch (err) {
      this.logger.debug({ err, role: this.role }, 'BYE failed');
    }
    this.finish(info);
  }

  private finish(info: LegEndInfo): void {
    if (this.endedInfo) return;
    this.endedInfo = info;
    void this.endpoint.close().catch(() => undefined);
    this.emit('ended', info);
  }
}
