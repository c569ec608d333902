/**
 * A UDP relay between sipp and the server that drops chosen datagrams, to exercise retransmission
 * deterministically (a lost INVITE, a lost 200, a lost ACK).
 */
import { createSocket, type Socket } from 'node:dgram';

export type Direction = 'to-server' | 'to-client';
export type DropRule = (text: string, dir: Direction) => boolean;

export class UdpDropper {
  private readonly sock: Socket = createSocket('udp4');
  private client?: { address: string; port: number };
  readonly dropped: string[] = [];
  readonly seen: { dir: Direction; firstLine: string }[] = [];
  port = 0;

  constructor(
    private readonly serverPort: number,
    private readonly rules: DropRule[],
  ) {}

  async start(): Promise<number> {
    this.sock.on('message', (buf, rinfo) => {
      const text = buf.toString('latin1');
      const dir: Direction = rinfo.port === this.serverPort ? 'to-client' : 'to-server';
      if (dir === 'to-server') this.client = { address: rinfo.address, port: rinfo.port };
      this.seen.push({ dir, firstLine: text.split('\r\n')[0] ?? '' });
      const idx = this.rules.findIndex((r) => r(text, dir));
      if (idx >= 0) {
        this.rules.splice(idx, 1); // each rule drops exactly one datagram
        this.dropped.push(text.split('\r\n')[0] ?? '');
        return;
      }
      if (dir === 'to-server') this.sock.send(buf, this.serverPort, '127.0.0.1');
      else if (this.client) this.sock.send(buf, this.client.port, this.client.address);
    });
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
    return this.port;
  }

  close(): void {
    try {
      this.sock.close();
    } catch {
      /* closed */
    }
  }
}

export const isInvite = (s: string, d: Direction): boolean => d === 'to-server' && s.startsWith('INVITE ');
export const isAck = (s: string, d: Direction): boolean => d === 'to-server' && s.startsWith('ACK ');
export const is200Invite = (s: string, d: Direction): boolean =>
  d === 'to-client' && s.startsWith('SIP/2.0 200') && /\r\nCSeq:\s*\d+ INVITE/i.test(s);
