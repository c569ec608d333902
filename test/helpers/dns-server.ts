/**
 * A DNS server on loopback UDP for tests: answers A and SRV questions from a table (RFC 1035 wire
 * format, RFC 2782 SRV data), NXDOMAIN for names it does not know, and no answers (NOERROR) for a
 * known name asked another type. Counts the questions it was asked.
 */
import dgram from 'node:dgram';

export interface SrvAnswer {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface DnsZone {
  a?: Record<string, string[]>;
  srv?: Record<string, SrvAnswer[]>;
}

const TYPE_A = 1;
const TYPE_SRV = 33;

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])),
    Buffer.from([0]),
  ]);
}

function readQuestion(msg: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let off = 12;
  while (msg[off] !== 0) {
    const len = msg[off];
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('ascii'));
    off += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off + 1), end: off + 5 };
}

function record(type: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // the question's name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(60, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

export class TestDnsServer {
  readonly asked: { name: string; type: number }[] = [];

  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
    private readonly zone: DnsZone,
  ) {
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 17) return;
      const q = readQuestion(msg);
      this.asked.push({ name: q.name, type: q.type });
      socket.send(this.answer(msg, q), rinfo.port, rinfo.address);
    });
  }

  static async start(zone: DnsZone): Promise<TestDnsServer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new TestDnsServer(socket, socket.address().port, zone);
  }

  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  close(): void {
    this.socket.close();
  }

  private answer(query: Buffer, q: { name: string; type: number; end: number }): Buffer {
    const a = this.zone.a?.[q.name];
    const srv = this.zone.srv?.[q.name];
    const answers: Buffer[] = [];
    if (q.type === TYPE_A && a) for (const ip of a) answers.push(record(TYPE_A, Buffer.from(ip.split('.').map(Number))));
    if (q.type === TYPE_SRV && srv) {
      for (const s of srv) {
        const fixed = Buffer.alloc(6);
        fixed.writeUInt16BE(s.priority, 0);
        fixed.writeUInt16BE(s.weight, 2);
        fixed.writeUInt16BE(s.port, 4);
        answers.push(record(TYPE_SRV, Buffer.concat([fixed, encodeName(s.target)])));
      }
    }
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // id
    const known = a !== undefined || srv !== undefined;
    header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2); // response, recursion desired+available, NXDOMAIN if unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    return Buffer.concat([header, query.subarray(12, q.end), ...answers]);
  }
}
