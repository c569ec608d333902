/**
 * A TCP relay between the application and our admin port that records every frame in both
 * directions, so a test sees exactly what the server sent.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../../../sip/server/drachtio/framing.js';

export class AdminTap {
  readonly toApp: string[] = [];
  readonly fromApp: string[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly adminPort: number) {}

  async start(): Promise<number> {
    this.server = createServer((client) => {
      const upstream = connect(this.adminPort, '127.0.0.1');
      this.sockets.add(client);
      this.sockets.add(upstream);
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      const inDec = new FrameDecoder();
      const outDec = new FrameDecoder();
      inDec.on('frame', (f) => this.fromApp.push(f));
      outDec.on('frame', (f) => this.toApp.push(f));
      client.on('data', (d: Buffer) => {
        inDec.push(d);
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        outDec.push(d);
        client.write(d);
      });
      client.on('close', () => upstream.end());
      upstream.on('close', () => client.end());
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
