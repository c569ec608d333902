// Builds the browser bundles into dist/widget/ (npm run build:widget). esbuild strips types
// only; `npx tsc -p widget` type-checks.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, 'dist', 'widget');

const pages = [
  { name: 'test-phone', entry: 'phone.ts', bundle: 'phone.js', assets: ['index.html'] },
  // The embed page's HTML is served by the /embed route (it carries the session's config).
  { name: 'embed', entry: 'embed.ts', bundle: 'embed.js', assets: [] },
  // the visitor web-call widget: served behind /widget/<id>.js and /api/v1/voice-widget/embed/aurion.js
  { name: 'visitor', entry: 'visitor.ts', bundle: 'visitor.js', assets: [] },
  // Voylo agent widget: the host-page loader (served as /v1/phone.js) and the softphone page's bundle.
  { name: 'agent', entry: 'phone.ts', bundle: 'phone.js', assets: [] },
  { name: 'agent', entry: 'softphone.ts', bundle: 'softphone.js', assets: ['softphone.css'] },
];

for (const page of pages) {
  const src = join(root, 'widget', page.name);
  const dest = join(out, page.name);
  await mkdir(dest, { recursive: true });
  await build({
    entryPoints: [join(src, page.entry)],
    outfile: join(dest, page.bundle),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    sourcemap: true,
    minify: process.env.WIDGET_MINIFY === '1',
    logLevel: 'warning',
  });
  for (const asset of page.assets) await copyFile(join(src, asset), join(dest, asset));
}
