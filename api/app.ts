import express, { type Express, type Request } from 'express';
import { existsSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { CallRegistry } from '../src/calls/call-registry.js';
import type { MediaServer } from '../media/index.js';
import type { PlatformHealth } from '../src/health.js';

export interface HttpOptions {
  /** Show calls, workers and the SIP link on /health to anyone (otherwise only with the token). */
  healthDetails: boolean;
  /** `Authorization: Bearer <token>` on /health shows the details. */
  healthToken?: string;
  /** Serve the browser bundles' `*.map` files (they hold the source). */
  sourceMaps: boolean;
}

export interface HttpDeps { calls: CallRegistry; media: MediaServer; health: PlatformHealth; options: HttpOptions; logger: Logger }

/** Compares hashes so neither the token's length nor its prefix leaks through timing. */
function bearerMatches(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}

/** The HTTP face of the platform. For now: health and the browser test phone. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Liveness for anyone (load balancers, container probes); counts only for operators.
  app.get('/health', async (req, res) => {
    const report = await deps.health.check();
    res.status(report.healthy ? 200 : 503).set('Cache-Control', 'no-store');
    const body = report.healthy ? { status: 'ok' } : { status: 'failing', failing: report.failing };
    const details = deps.options.healthDetails || bearerMatches(req, deps.options.healthToken);
    res.json(details ? { ...body, ...report.details } : body);
  });
  // Built by esbuild into dist/widget; this file runs from dist/api.
  const widgetDir = resolve(dirname(fileURLToPath(import.meta.url)), '../widget/test-phone');
  if (!deps.options.sourceMaps) {
    app.use('/test-phone', (req, res, next) => {
      // decoded as express.static will, so `phone.js%2Emap` is refused too
      let path = req.path;
      try { path = decodeURIComponent(path); } catch { /* malformed: static refuses it anyway */ }
      if (path.toLowerCase().endsWith('.map')) res.status(404).json({ error: 'not found' });
      else next();
    });
  }
  if (existsSync(widgetDir)) app.use('/test-phone', express.static(widgetDir));
  app.use((_req, res) => { res.status(404).json({ error: 'not found' }); });
  return app;
}
