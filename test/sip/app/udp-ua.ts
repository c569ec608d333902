/**
 * A tiny SIP user agent over UDP for tests that need what sipp cannot do (SHA-256 digest,
 * several contacts in one REGISTER, reading every header of a response).
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

export interface WireResponse {
  status: number;
  reason: string;
  headers: { name: string; value: string }[];
  raw: string;
}

export function header(res: WireResponse, name: string): string[] {
  return res.headers.filter((h) => h.name.toLowerCase() === name.toLowerCase()).map((h) => h.value);
}

export class UdpUa {
  private sock!: Socket;
  port = 0;
  private waiters: { match: (r: WireResponse) => boolean; resolve: (r: WireResponse) => void }[] = [];
  readonly requests: string[] = [];
  onRequest?: (raw: string, reply: (text: string) => void) => void;

  /** The loopback address this UA sends from (127.0.0.2 etc. pass for another machine). */
  host = '127.0.0.1';

  async open(host = '127.0.0.1', port = 0): Promise<void> {
    this.host = host;
    this.sock = createSocket('udp4');
    this.sock.on('message', (msg, rinfo) => this.onMessage(msg.toString(), rinfo.address, rinfo.port));
    await new Promise<void>((r) => this.sock.bind(port, host, () => r()));
    this.port = this.sock.address().port;
  }

  private closed = false;

  close(): void {
    this.closed = true;
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
  }

  private onMessage(text: string, host: string, port: number): void {
    if (!text.startsWith('SIP/2.0')) {
      this.requests.push(text);
      // a reply scheduled by a test may fire after the test closed the UA: dropped, as on a dead phone
      this.onRequest?.(text, (out) => {
        if (!this.closed) this.sock.send(out, port, host);
      });
      return;
    }
    const [head] = text.split('\r\n\r\n');
    const lines = head!.split('\r\n');
    const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(lines[0]!);
    if (!m) return;
    const res: WireResponse = {
      status: Number(m[1]),
      reason: m[2]!,
      raw: text,
      headers: lines.slice(1).map((l) => {
        const i = l.indexOf(':');
        return { name: l.slice(0, i).trim(), value: l.slice(i + 1).trim() };
      }),
    };
    const w = this.waiters.find((x) => x.match(res));
    if (w) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(res);
    }
  }

  /** Sends a request and resolves with its first final (>= 200) response. */
  request(text: string, dest: number, timeoutMs = 3000): Promise<WireResponse> {
    const callId = /\r\nCall-ID: (.*)\r\n/i.exec(text)?.[1];
    const cseq = /\r\nCSeq: (.*)\r\n/i.exec(text)?.[1];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response to ${text.split('\r\n')[0]}`)), timeoutMs);
      this.waiters.push({
        match: (r) => r.status >= 200 && header(r, 'Call-ID')[0] === callId && header(r, 'CSeq')[0] === cseq,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
      this.sock.send(text, dest, '127.0.0.1');
    });
  }

  branch(): string {
    return `z9hG4bK${randomBytes(6).toString('hex')}`;
  }
}

export function buildRequest(method: string, uri: string, ua: UdpUa, h: Record<string, string | string[]>, body = ''): string {
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${ua.host}:${ua.port};rport;branch=${ua.branch()}`,
    'Max-Forwards: 70',
  ];
  for (const [k, v] of Object.entries(h)) for (const x of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${x}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Headers of a request, first value of each (lowercased names). */
export function requestHeaders(raw: string): Map<string, string[]> {
  const [head] = raw.split('\r\n\r\n');
  const out = new Map<string, string[]>();
  for (const l of head!.split('\r\n').slice(1)) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    const k = l.slice(0, i).trim().toLowerCase();
    out.set(k, [...(out.get(k) ?? []), l.slice(i + 1).trim()]);
  }
  return out;
}

/** A response to `raw` (a request) as a UAS would build it; `toTag` is added to To. */
export function buildResponse(
  raw: string,
  status: number,
  reason: string,
  opts: { toTag?: string; contact?: string; body?: string } = {},
): string {
  const h = requestHeaders(raw);
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of h.get('via') ?? []) lines.push(`Via: ${v}`);
  lines.push(`From: ${h.get('from')?.[0] ?? ''}`);
  const to = h.get('to')?.[0] ?? '';
  lines.push(`To: ${opts.toTag && !/;tag=/.test(to) ? `${to};tag=${opts.toTag}` : to}`);
  lines.push(`Call-ID: ${h.get('call-id')?.[0] ?? ''}`, `CSeq: ${h.get('cseq')?.[0] ?? ''}`);
  if (opts.contact) lines.push(`Contact: ${opts.contact}`);
  const body = opts.body ?? '';
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
