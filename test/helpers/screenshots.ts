/**
 * Screenshots checked to show something: a PNG from playwright decoded by the browser itself (no
 * image library here) on a blank page of the same context, answering how many colours it holds
 * and what share of its pixels are near given colours.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export interface ImageStats {
  width: number;
  height: number;
  /** Distinct RGB colours (a blank or single-colour image has 1). */
  colours: number;
  /** Per colour asked for: the share of pixels within a small distance of it. */
  shares: number[];
}

/** `#rrggbb` to [r, g, b]. */
export const rgb = (hex: string): [number, number, number] => {
  const n = Number.parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
};

// Runs in the page (the test's tsconfig has no DOM types): the source goes as text.
const DECODE = `async ([b64, colours]) => {
  const blob = await (await fetch('data:image/png;base64,' + b64)).blob();
  const bmp = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const g = canvas.getContext('2d');
  g.drawImage(bmp, 0, 0);
  const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
  const seen = new Set();
  const hits = colours.map(() => 0);
  for (let i = 0; i < d.length; i += 4) {
    seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    for (let c = 0; c < colours.length; c++) {
      const [r, gr, b] = colours[c];
      if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - gr) + Math.abs(d[i + 2] - b) <= 24) hits[c]++;
    }
  }
  const n = d.length / 4;
  return { width: bmp.width, height: bmp.height, colours: seen.size, shares: hits.map((h) => h / n) };
}`;

/** Decodes `png` in a scratch page of `context`; `colours` as `#rrggbb`. */
export async function imageStats(context: BrowserContext, png: Buffer, colours: string[] = []): Promise<ImageStats> {
  const scratch = await context.newPage();
  try {
    return (await scratch.evaluate(`(${DECODE})(${JSON.stringify([png.toString('base64'), colours.map(rgb)])})`)) as ImageStats;
  } finally {
    await scratch.close();
  }
}

/**
 * A screenshot of `page` (the viewport), kept under `SB_SCREENSHOT_DIR` when set (to look at
 * them), and its stats.
 */
export async function screenshot(page: Page, name: string, colours: string[] = []): Promise<{ png: Buffer; stats: ImageStats }> {
  const png = await page.screenshot();
  const dir = process.env.SB_SCREENSHOT_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.png`), png);
  }
  return { png, stats: await imageStats(page.context(), png, colours) };
}
