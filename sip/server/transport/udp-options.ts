/**
 * UDP socket settings and the cheap look at a datagram that load shedding needs before parsing.
 */
import type dgram from 'node:dgram';
import type { Logger } from 'pino';

export const DEFAULT_UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;
export const DEFAULT_UDP_SEND_BUFFER = 1024 * 1024;

/**
 * The kernel's default 212 KB receive buffer overflows during a brief event-loop stall at a few
 * hundred calls a second, dropping 180s and 200s; a few megabytes ride such stalls out.
 */
export function sizeUdpBuffers(socket: dgram.Socket, where: string, rcv: number, snd: number, log: Logger): void {
  try {
    if (rcv > 0) socket.setRecvBufferSize(rcv);
    if (snd > 0) socket.setSendBufferSize(snd);
    // Linux reports twice the size asked for (bookkeeping overhead); less means net.core.rmem_max capped it
    const got = socket.getRecvBufferSize();
    if (rcv > 0 && got < rcv)
      log.warn({ asked: rcv, got, listen: where }, 'UDP receive buffer capped by the kernel (raise net.core.rmem_max)');
  } catch (err) {
    log.warn({ err, listen: where }, 'could not size UDP socket buffers');
  }
}

const SIP_SLASH = Buffer.from('SIP/');
const ACK_SP = Buffer.from('ACK ');
const CANCEL_SP = Buffer.from('CANCEL ');

/** A response, ACK or CANCEL (by its first bytes): never shed, they end transactions rather than start them. */
export function isResponseOrAck(data: Buffer, from: number): boolean {
  const starts = (p: Buffer): boolean =>
    data.length - from >= p.length && data.compare(p, 0, p.length, from, from + p.length) === 0;
  return starts(SIP_SLASH) || starts(ACK_SP) || starts(CANCEL_SP);
}
