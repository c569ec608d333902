import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { DtmfEvent } from '../../media/types.js';
import type { MediaEndpoint, SipDialog } from './ports.js';
import { type CallInfo, formatCallInfo, InfoBudget, InfoNotDelivered, screenInfo } from './call-info.js';

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
 * endpoint's RFC 4733 / in-band events, and a media failure tears the dialog down. Other INFOs
 * are application events (`info`), screened by call-info.ts.
 */
export class Leg extends EventEmitter<{ ended: [LegEndInfo]; dtmf: [DtmfEvent]; info: [CallInfo] }> {
  private endedInfo: LegEndInfo | undefined;
  private readonly infoBudget = new InfoBudget();

  constructor(
    readonly role: LegRole,
    readonly dialog: SipDialog,
    readonly endpoint: MediaEndpoint,
    private readonly logger: Logger,
  ) {
    super();
    dialog.onReoffer = (offer) => endpoint.answer(offer);
    dialog.on('dtmf', ({ digit, durationMs }) => endpoint.injectDtmf(digit, durationMs));
    // An application event from the peer (a web visitor's sendInfo): screened, then offered to the
    // call's application (flow session data, the phone_call.info webhook).
    dialog.onInfo = ({ contentType, body }) => {
      const verdict = screenInfo(this.infoBudget, contentType, body);
      if ('info' in verdict) this.emit('info', verdict.info);
      else this.logger.info({ role, status: verdict.status, reason: verdict.reason }, 'INFO refused');
      return verdict;
    };
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

  /**
   * An application event toward this party, as a SIP INFO `{"event", "data"}` (a web visitor's page
   * hears it as `onInfoReceived`); resolves once the party accepted it.
   */
  async sendInfo(info: CallInfo): Promise<void> {
    const body = formatCallInfo(info);
    if (this.ended) throw new InfoNotDelivered('gone', `the ${this.role}'s leg has ended`);
    if (!this.dialog.sendInfo) throw new InfoNotDelivered('unsupported', `the ${this.role}'s leg cannot carry an INFO`);
    try {
      await this.dialog.sendInfo('application/json', body);
    } catch (err) {
      const e = err as { status?: number; reason?: string };
      if (e.status === 481 || this.ended) throw new InfoNotDelivered('gone', `the ${this.role}'s leg has ended`, e.status);
      throw new InfoNotDelivered(
        'refused',
        `the ${this.role} answered the INFO ${e.status ?? ''} ${e.reason ?? String(err)}`.replace(/\s+/g, ' '),
        e.status,
      );
    }
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
