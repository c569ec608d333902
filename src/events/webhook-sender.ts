/**
 * One HTTP POST of a signed envelope: keep-alive agents, the SSRF guard on every connection, an
 * overall timeout, redirects never followed (a 3xx is just not a 2xx).
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isPrivateAddress } from './target-guard.js';
import { SIGNATURE_HEADERS, signatureHeader } from './signature.js';
import type { AttemptResult } from '../store/index.js';

export interface SenderOptions {
  allowPrivateTargets: boolean;
  timeoutMs: number;
  maxSockets?: number;
}

export class WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly lookup: ReturnType<typeof guardedLookup>;

  constructor(private readonly opts: SenderOptions) {
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 16 };
    this.httpAgent = new http.Agent(agentOpts);
    this.httpsAgent = new https.Agent(agentOpts);
    this.lookup = guardedLookup(opts.allowPrivateTargets);
  }

  /** Posts `body` to `url`; never throws (the failure is in the result). */
  post(url: string, body: string, secret: string, eventId: string): Promise<AttemptResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (statusCode: number | null, error: string | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ statusCode, error, durationMs: performance.now() - started });
      };
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        finish(null, 'invalid URL');
        return;
      }
      const isHttps = target.protocol === 'https:';
      if (!isHttps && target.protocol !== 'http:') {
        finish(null, 'only http and https URLs');
        return;
      }
      // Node dials an IP literal without calling `lookup`, so literals are judged here.
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      if (!this.opts.allowPrivateTargets && isIP(literal) && isPrivateAddress(literal)) {
        finish(null, `refused: ${literal} is a private or loopback address`);
        return;
      }
      const signature = signatureHeader(secret, body);
      const headers: Record<string, string | number> = {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'Switchboard-Webhooks/1',
        'switchboard-event-id': eventId,
      };
      for (const h of SIGNATURE_HEADERS) headers[h] = signature;
      const req = (isHttps ? https : http).request(
        target,
        {
          method: 'POST',
          headers,
          agent: isHttps ? this.httpsAgent : this.httpAgent,
          lookup: this.lookup as never,
        },
        (res) => {
          // Drain so the socket goes back to the pool; a huge answer is not our business.
          let seen = 0;
          res.on('data', (c: Buffer) => {
            seen += c.length;
            if (seen > 64 * 1024) res.destroy();
          });
          res.on('end', () =>
            finish(
              res.statusCode ?? null,
              res.statusCode && res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`,
            ),
          );
          res.on('error', () =>
            finish(
              res.statusCode ?? null,
              res.statusCode && res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`,
            ),
          );
        },
      );
      timer = setTimeout(() => {
        finish(null, `timeout after ${this.opts.timeoutMs} ms`);
        req.destroy();
      }, this.opts.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) =>
        finish(null, err.name === 'TargetRefusedError' ? err.message : (err.code ?? err.message)),
      );
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
