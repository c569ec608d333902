/**
 * A raw SIP-over-UDP peer for tests: sends hand-written datagrams to the server and collects what
 * comes back, so tests can assert exact status lines and headers (what a phone would see).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { TeardownHost } from '../../helpers/sipp.js';

export interface Received {
  text: string;
  status?: number;
  at: number;
}

export class UdpClient {
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (data) => {
      const text = data.toString('latin1');
      const m = /^SIP\/2\.0 (\d{3})/.exec(text);
      this.received.push({ text, status: m ? Number(m[1]) : undefined, at: Date.now() });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(t: TeardownHost, host = '127.0.0.1'): Promise<UdpClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    // a test that floods reads its answers in bursts: the kernel's default buffer would drop some
    socket.setRecvBufferSize(4 * 1024 * 1024);
    const c = new UdpClient(socket, socket.address().port);
    t.teardown(() => c.close());
    return c;
  }

  send(text: string | Buffer, port: number, host = '127.0.0.1'): Promise<void> {
    const data = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    return new Promise((resolve, reject) => this.socket.send(data, port, host, (err) => (err ? reject(err) : resolve())));
  }

  /** The first received message (from index `from` on) that satisfies `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (r: Received) => boolean, timeoutMs = 5000, from = 0): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.received.slice(from).find(pred);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== loop);
        reject(new Error(`no matching message within ${timeoutMs} ms (got ${this.received.length})`));
      }, timeoutMs);
      const loop = (): void => {
        if (!check()) this.waiters.push(loop);
      };
      loop();
    });
  }

  /** Resolves once nothing matching `pred` arrived; used to assert silence for `ms`. */
  async countWithin(pred: (r: Received) => boolean, ms: number): Promise<number> {
    await new Promise((r) => setTimeout(r, ms));
    return this.received.filter(pred).length;
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      /* already closed */
    }
  }
}

/** A header's value from a raw message (first occurrence, compact forms not resolved). */
export function headerOf(text: string, name: string): string | undefined {
  const re = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im');
  const m = re.exec(text.split('\r\n\r\n')[0] ?? '');
  return m ? m[1]!.trim() : undefined;
}

let seq = 0;
/** A minimal well-formed request from a UDP client on `port`; `extra` lines are added before the blank line. */
export function request(
  method: string,
  clientPort: number,
  opts: { uri?: string; callId?: string; extra?: string[]; body?: string; cseq?: string; toTag?: string } = {},
): string {
  const n = ++seq;
  const callId = opts.callId ?? `c${n}-${Date.now()}@test`;
  const body = opts.body ?? '';
  const lines = [
    `${method} ${opts.uri ?? 'sip:service@127.0.0.1'} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${clientPort};branch=z9hG4bK-t${n}-${Date.now()};rport`,
    'Max-Forwards: 70',
    `From: <sip:caller@127.0.0.1:${clientPort}>;tag=f${n}`,
    `To: <sip:service@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${opts.cseq ?? `1 ${method}`}`,
    `Contact: <sip:caller@127.0.0.1:${clientPort}>`,
    ...(opts.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}
