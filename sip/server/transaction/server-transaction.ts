/**
 * INVITE and non-INVITE server transactions (RFC 3261 §17.2), plus the UAS core's 2xx
 * retransmission until the ACK arrives (§13.3.1.4), kept here in an `accepted` state (RFC 6026).
 */
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import { SipResponse, keyHeadersOnly, type SipRequest } from '../message.js';
import { TimerSet, isReliable, type MessageSender, type SendTargetLike, type SentInfo, type SipTimers } from './timers.js';

export type ServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface ServerTransactionOptions {
  id: string;
  request: SipRequest;
  /** Where responses go (Via/rport resolved by the caller). */
  target: SendTargetLike;
  timers: SipTimers;
  sender: MessageSender;
  logger?: Logger;
  /**
   * Asked when a non-2xx final to an INVITE goes out over UDP: false skips Timer G, so a source that
   * floods INVITEs and never ACKs cannot make us multiply its traffic (its own retransmissions are
   * still answered).
   */
  retransmitFinal?: () => boolean;
}

/**
 * `settled`: the transaction no longer waits on anyone (final sent for non-INVITE; 2xx sent or ACK
 * received for INVITE; or terminated). `unacked`: a non-2xx final to an INVITE now awaits its ACK.
 */
export class ServerTransaction extends EventEmitter<{
  terminated: [];
  'ack-timeout': [];
  'transport-error': [Error];
  settled: [];
  unacked: [];
}> {
  readonly id: string;
  /** The request; only its key headers once a final response makes the rest useless (see `release`). */
  request: SipRequest;
  readonly target: SendTargetLike;
  readonly isInvite: boolean;
  state: ServerTransactionState;
  /** To-tag used on every response of this transaction. */
  localTag?: string;
  /** Last response sent, until its bytes are known (then only `lastBytes` is kept when the sender can resend bytes). */
  lastResponse?: SipResponse;
  private lastBytes?: Buffer;
  finalStatus?: number;
  private readonly timerSet = new TimerSet();
  private readonly reliable: boolean;
  private readonly logger: Logger;

  /** The options without the request, which `release()` must be able to let go of. */
  private readonly opts: Omit<ServerTransactionOptions, 'request'>;

  constructor(options: ServerTransactionOptions) {
    super();
    const { request: _request, ...opts } = options;
    this.opts = opts;
    this.id = opts.id;
    this.request = options.request;
    this.target = opts.target;
    this.isInvite = options.request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.reliable = isReliable(opts.target.transport);
    this.logger = opts.logger ?? pino({ level: 'silent' });
  }

  /** Send a response; drives the state machine. Resolves with the bytes as sent. */
  async respond(res: SipResponse): Promise<SentInfo> {
    if (this.state === 'terminated' || this.state === 'completed' || this.state === 'confirmed') {
      throw new Error(`transaction ${this.id} already answered`);
    }
    if (this.state === 'accepted' && !(res.status >= 200 && res.status < 300)) {
      throw new Error(`transaction ${this.id} already answered`);
    }
    this.lastResponse = res;
    const final = res.status >= 200;
    if (final) this.finalStatus = res.status;
    if (!final) {
      this.state = 'proceeding';
    } else if (this.isInvite && res.status < 300) {
      this.enterAccepted();
      this.settle();
    } else if (this.isInvite) {
      this.enterCompletedInvite();
      this.emit('unacked');
    } else {
      this.state = 'completed';
      this.timerSet.after(this.reliable ? 0 : 64 * this.opts.timers.t1, () => this.terminate()); // Timer J
      this.settle();
    }
    try {
      const sent = await this.opts.sender.send(res, this.target);
      this.remember(res, sent.bytes);
      return sent;
    } catch (err) {
      this.emit('transport-error', err as Error);
      this.terminate();
      throw err;
    }
  }

  /**
   * Keep the wire bytes of the response just sent rather than the message, when the sender can
   * resend bytes; and once no further response can be sent (any final but an INVITE's 2xx, which
   * the app may repeat until the ACK), keep only the request's key headers.
   */
  private remember(res: SipResponse, bytes: Buffer): void {
    if (this.lastResponse !== res) return; // a later response already replaced it
    if (this.opts.sender.sendBytes) {
      this.lastBytes = bytes;
      this.lastResponse = undefined;
    }
    if (res.status >= 200 && !(this.isInvite && res.status < 300 && this.state === 'accepted')) this.release();
  }

  private released = false;
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.request = keyHeadersOnly(this.request);
  }

  /** A proxy relaying a downstream response: a 2xx ends the transaction (the UAC's ACK goes end to end). */
  async relay(res: SipResponse): Promise<SentInfo> {
    if (this.isInvite && res.status >= 200 && res.status < 300) {
      if (this.state === 'terminated') throw new Error(`transaction ${this.id} already ended`);
      this.lastResponse = res;
      this.finalStatus = res.status;
      this.timerSet.clear();
      this.timerSet.after(64 * this.opts.timers.t1, () => this.terminate()); // absorb INVITE retransmissions a while
      this.state = 'accepted';
      this.relayed = true;
      this.settle();
      const sent = await this.opts.sender.send(res, this.target);
      this.remember(res, sent.bytes);
      this.release();
      return sent;
    }
    return this.respond(res);
  }

  private relayed = false;

  /** A retransmission of the request arrived: repeat the last response, if any. */
  onRetransmission(): void {
    if ((this.lastResponse || this.lastBytes) && this.state !== 'terminated') this.resend();
  }

  /** The ACK for a non-2xx final (same branch) or for the 2xx (matched by dialog). */
  onAck(): void {
    if (this.state === 'completed' && this.isInvite) {
      this.state = 'confirmed';
      this.settle();
      this.timerSet.clear();
      this.timerSet.after(this.reliable ? 0 : this.opts.timers.t4, () => this.terminate()); // Timer I
    } else if (this.state === 'accepted') {
      this.terminate();
    }
  }

  get awaitingAck(): boolean {
    return this.state === 'accepted' && !this.relayed;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerSet.clear();
    this.release();
    this.settle();
    this.emit('terminated');
  }

  private settled = false;
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.emit('settled');
  }

  private resend(): void {
    const sender = this.opts.sender;
    const sent =
      this.lastBytes && sender.sendBytes
        ? sender.sendBytes(this.lastBytes, this.target, false)
        : this.lastResponse
          ? sender.send(this.lastResponse, this.target)
          : undefined;
    sent?.catch((err: Error) => {
      this.logger.debug({ err: err.message }, 'response retransmission failed');
    });
  }

  /**
   * Timers run before the event loop reads its sockets: after a stall, the ACK that ends this
   * retransmission may already be waiting unread. Resending after the read (setImmediate runs after
   * the poll phase) spares the peer a retransmission of a call it has finished, which sipp and others
   * count as an error.
   */
  private resendAfterPoll(state: ServerTransactionState): void {
    setImmediate(() => {
      if (this.state === state) this.resend();
    });
  }

  private enterAccepted(): void {
    this.state = 'accepted';
    const { t1, t2 } = this.opts.timers;
    if (!this.reliable) {
      let interval = t1;
      const tick = (): void => {
        if (this.state !== 'accepted') return;
        this.resendAfterPoll('accepted');
        interval = Math.min(interval * 2, t2);
        this.timerSet.after(interval, tick);
      };
      this.timerSet.after(interval, tick);
    }
    this.timerSet.after(64 * t1, () => {
      if (this.state !== 'accepted') return;
      this.terminate();
      this.emit('ack-timeout');
    });
  }

  private enterCompletedInvite(): void {
    this.state = 'completed';
    const { t1, t2 } = this.opts.timers;
    if (!this.reliable && (this.opts.retransmitFinal?.() ?? true)) {
      let interval = t1;
      const tick = (): void => {
        // Timer G
        if (this.state !== 'completed') return;
        this.resendAfterPoll('completed');
        interval = Math.min(interval * 2, t2);
        this.timerSet.after(interval, tick);
      };
      this.timerSet.after(interval, tick);
    }
    this.timerSet.after(64 * t1, () => this.terminate()); // Timer H
  }
}
