import express, { type Express } from 'express';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { CallRegistry } from '../src/calls/call-registry.js';
import type { MediaServer } from '../media/index.js';

export interface HttpDeps { calls: CallRegistry; media: MediaServer; logger: Logger }

/** The HTTP face of the platform. For now: health and the browser test phone. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', calls: deps.calls.size, media: deps.media.stats() });
  });
  // Built by esbuild into dist/widget; this file runs from dist/api.
  const widgetDir = resolve(dirname(fileURLToPath(import.meta.url)), '../widget/test-phone');
  if (existsSync(widgetDir)) app.use('/test-phone', express.static(widgetDir));
  app.use((_req, res) => { res.status(404).json({ error: 'not found' }); });
  return app;
}
