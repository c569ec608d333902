/**
 * INVITE and non-INVITE client transactions (RFC 3261 §17.1): retransmission (Timers A/E), timeout
 * (B/F) reported as `timeout`, transport errors reported as `transport-error`, ACK for non-2xx finals
 * generated here (same branch), and absorption of retransmitted responses.
 */
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import { SipRequest, keyHeadersOnly, type SipResponse } from '../message.js';
import { TimerSet, isReliable, type MessageSender, type SendTargetLike, type SentInfo, type SipTimers } from './timers.js';

export type ClientTransactionState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export interface ClientTransactionOptions {
  id: string;
  request: SipRequest;
  target: SendTargetLike;
  timers: SipTimers;
  sender: MessageSender;
  logger?: Logger;
  /** Whether the generated non-2xx ACK carries Max-Forwards (the real server omits it when proxying). */
  ackMaxForwards?: boolean;
}

export class ClientTransaction extends EventEmitter<{
  /** A response for the core: provisionals, the first 2xx, the first non-2xx final. */
  response: [SipResponse];
  /** A 2xx retransmission the core may want to re-ACK. */
  'retransmitted-2xx': [SipResponse];
  timeout: [];
  'transport-error': [Error];
  terminated: [];
}> {
  readonly id: string;
  /** The request; only its key headers after `release()`. */
  request: SipRequest;
  readonly target: SendTargetLike;
  readonly isInvite: boolean;
  state: ClientTransactionState = 'calling';
  finalStatus?: number;
  /** The ACK this transaction generated for a non-2xx final. */
  ack?: SipRequest;
  private readonly timerSet = new TimerSet();
  private readonly reliable: boolean;
  private readonly logger: Logger;

  /** The options without the request, which `release()` must be able to let go of. */
  private readonly opts: Omit<ClientTransactionOptions, 'request'>;

  constructor(options: ClientTransactionOptions) {
    super();
    const { request: _request, ...opts } = options;
    this.opts = opts;
    this.id = opts.id;
    this.request = options.request;
    this.target = opts.target;
    this.isInvite = options.request.method === 'INVITE';
    this.reliable = isReliable(opts.target.transport);
    this.logger = opts.logger ?? pino({ level: 'silent' });
  }

  /** Send the request and arm the timers. Rejects (and terminates) on a transport error. */
  async start(): Promise<SentInfo> {
    const { t1, t2 } = this.opts.timers;
    let sent: SentInfo;
    try {
      sent = await this.opts.sender.send(this.request, this.target);
    } catch (err) {
      this.terminate();
      throw err;
    }
    if (this.state === 'terminated') return sent;
    if (!this.reliable) {
      let interval = this.opts.timers.clientFirstRetransmit ?? t1;
      const tick = (): void => {
        const retransmitting = (): boolean => this.state === 'calling' || (this.state === 'proceeding' && !this.isInvite);
        if (!retransmitting()) return;
        // after the poll phase, so a response already waiting unread stops it (see ServerTransaction)
        setImmediate(() => {
          if (retransmitting()) this.opts.sender.send(this.request, this.target).catch((err: Error) => this.fail(err));
        });
        interval = this.isInvite ? interval * 2 : Math.min(interval * 2, t2);
        this.timerSet.after(this.state === 'proceeding' ? t2 : interval, tick);
      };
      this.timerSet.after(interval, tick);
    }
    this.timerSet.after(64 * t1, () => {
      // Timer B / F
      if (this.state === 'calling' || this.state === 'proceeding') {
        this.terminate();
        this.emit('timeout');
      }
    });
    return sent;
  }

  onResponse(res: SipResponse): void {
    const s = res.status;
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (s < 200) {
          this.state = 'proceeding';
          this.emit('response', res);
          return;
        }
        this.finalStatus = s;
        this.timerSet.clear();
        if (this.isInvite && s < 300) {
          // stay around to absorb 2xx retransmissions (RFC 6026 Timer M)
          this.state = 'accepted';
          this.timerSet.after(64 * this.opts.timers.t1, () => this.terminate());
        } else if (this.isInvite) {
          this.state = 'completed';
          this.sendAck(res);
          this.timerSet.after(this.reliable ? 0 : 64 * this.opts.timers.t1, () => this.terminate()); // Timer D
        } else {
          this.state = 'completed';
          this.timerSet.after(this.reliable ? 0 : this.opts.timers.t4, () => this.terminate()); // Timer K
        }
        this.emit('response', res);
        return;
      case 'accepted':
        if (s >= 200 && s < 300) this.emit('retransmitted-2xx', res);
        return;
      case 'completed':
        if (this.isInvite && s >= 300 && this.ack) this.resendAck();
        return;
      default:
        return;
    }
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerSet.clear();
    this.release();
    this.emit('terminated');
  }

  private released = false;
  /**
   * Once the final response has been handled, nothing reads the body or the other headers again;
   * an INVITE answered 2xx stays 32 s to absorb retransmitted 2xx, and should not keep them.
   */
  release(): void {
    if (this.released || this.state === 'calling' || this.state === 'proceeding') return;
    this.released = true;
    this.request = keyHeadersOnly(this.request);
  }

  private fail(err: Error): void {
    if (this.state === 'terminated') return;
    this.terminate();
    this.emit('transport-error', err);
  }

  private sendAck(res: SipResponse): void {
    const req = this.request;
    const ack = new SipRequest('ACK', req.uri);
    const via = req.get('via');
    if (via) ack.append('Via', via);
    if (this.opts.ackMaxForwards !== false) ack.append('Max-Forwards', '70');
    for (const r of req.getAll('route')) ack.append('Route', r);
    ack.append('From', req.get('from') ?? '');
    ack.append('To', res.get('to') ?? req.get('to') ?? '');
    ack.append('Call-ID', req.callId);
    const seq = (req.get('cseq') ?? '').trim().split(/\s+/)[0] ?? '1';
    ack.append('CSeq', `${seq} ACK`);
    ack.append('Content-Length', '0');
    this.ack = ack;
    this.resendAck();
  }

  private resendAck(): void {
    if (!this.ack) return;
    this.opts.sender.send(this.ack, this.target).catch((err: Error) => {
      this.logger.debug({ err: err.message }, 'ACK send failed');
    });
  }
}
