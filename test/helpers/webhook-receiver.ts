/**
 * A real HTTP webhook receiver on 127.0.0.1 that captures each delivery (raw body, headers, time)
 * and answers with scripted statuses. `stop()`/`listen()` take it down and up on the same port.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { TeardownHost } from './platform.js';

export interface Delivery {
  body: string;
  headers: http.IncomingHttpHeaders;
  at: number;
  envelope: { id: string; type: string; created_at: string; data: Record<string, unknown> };
}

export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  /** Statuses for the next requests, in order; then 200. */
  script: number[] = [];
  private server?: http.Server;
  private waiters: (() => void)[] = [];
  port = 0;

  static async start(t: TeardownHost, port = 0): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await r.listen(port);
    t.teardown(() => r.stop());
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async listen(port = this.port): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = this.script.shift() ?? 200;
        this.deliveries.push({ body, headers: req.headers, at: Date.now(), envelope: JSON.parse(body) as Delivery['envelope'] });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'nope');
        for (const w of this.waiters.splice(0)) w();
      });
    });
    server.keepAliveTimeout = 30000;
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    const a = server.address();
    this.port = typeof a === 'object' && a ? a.port : port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Resolves once `pred` holds over the deliveries so far. */
  async until(pred: (d: Delivery[]) => boolean, timeoutMs = 20000): Promise<Delivery[]> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.deliveries)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver: condition not met in ${timeoutMs} ms (${this.deliveries.length} deliveries)`);
      await new Promise<void>((resolve) => {
        const tm = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(tm);
          resolve();
        });
      });
    }
    return this.deliveries;
  }
}
