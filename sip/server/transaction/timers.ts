/**
 * RFC 3261 timer values. Defaults are the real server's (T1 500 ms, T2 4 s, T4 5 s). Client
 * retransmission (Timers A/E) starts at T1 as the RFC says; the real server was observed starting at
 * 1 s, which `clientFirstRetransmit` can reproduce.
 */
import type { SipMessage, TransportAddress } from '../message.js';

export interface SipTimers {
  t1: number;
  t2: number;
  t4: number;
  /** First Timer A/E interval; defaults to T1. */
  clientFirstRetransmit?: number;
}

export const DEFAULT_TIMERS: SipTimers = { t1: 500, t2: 4000, t4: 5000 };

export function resolveTimers(partial?: Partial<SipTimers>): SipTimers {
  return { ...DEFAULT_TIMERS, ...(partial ?? {}) };
}

export interface SendTargetLike extends TransportAddress {
  connectionId?: string;
}

export interface SentInfo {
  local: TransportAddress;
  bytes: Buffer;
}

/** What transactions need from the transport: the TransportLayer satisfies it. */
export interface MessageSender {
  send(msg: SipMessage, target: SendTargetLike): Promise<SentInfo>;
  /**
   * Send bytes already serialized (a retransmission). Optional: a sender with it lets a transaction
   * keep only the wire bytes of its last message instead of the parsed message for its whole life.
   */
  sendBytes?(bytes: Buffer, target: SendTargetLike, isRequest: boolean): Promise<unknown>;
}

export function isReliable(t: TransportAddress['transport']): boolean {
  return t !== 'udp';
}

/** A set of timers that can all be cancelled at once, so a finished transaction leaves nothing behind. */
export class TimerSet {
  private readonly timers = new Set<NodeJS.Timeout>();
  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
  get size(): number {
    return this.timers.size;
  }
}
