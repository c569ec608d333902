/**
 * Headless Chromium for browser tests, through playwright-core and the Debian chromium.
 *
 * Single-machine WebRTC: Chromium leaves loopback out of ICE unless started with
 * `--allow-loopback-in-peer-connection`; the server side offers 127.0.0.1 through
 * `webrtc.includeLoopback`. This needs no root and no network namespace, so it runs the same
 * in CI containers. The fake microphone plays a WAV we write, so tests know what the browser
 * "says".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { writeToneWav } from '../media/webrtc/tone.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface BrowserHarness {
  browser: Browser | null;
  context: BrowserContext;
  /** A fresh page; closed with the harness. */
  newPage(): Promise<Page>;
  /** Temp directory (user data dir lives inside it); removed on close. */
  dir: string;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Fake microphone: a tone at this frequency (Hz). Default 1000. */
  micToneHz?: number;
  /** Or an existing WAV file. */
  micWav?: string;
  extraArgs?: string[];
  /** Let Chromium hide its host candidates behind mDNS names, as real browsers do. */
  mdnsCandidates?: boolean;
}

export function chromiumArgs(wavPath: string, opts: { mdnsCandidates?: boolean } = {}): string[] {
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wavPath}`,
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
  ];
  // Real host candidates instead of mDNS names: werift cannot resolve .local and would have to
  // learn the browser's address from its connectivity checks (peer-reflexive) instead.
  if (!opts.mdnsCandidates) args.push('--disable-features=WebRtcHideLocalIpsWithMdns');
  return args;
}

/** Launches Chromium; with a tap Test, teardown closes it even when the test fails. */
export async function launchChromium(t: Test | undefined, opts: LaunchOptions = {}): Promise<BrowserHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-chromium-'));
  const wav = opts.micWav ?? join(dir, 'mic.wav');
  if (!opts.micWav) writeToneWav(wav, opts.micToneHz ?? 1000, 10);
  const userDataDir = join(dir, 'profile');
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...chromiumArgs(wav, { mdnsCandidates: opts.mdnsCandidates }), ...(opts.extraArgs ?? [])],
      ignoreDefaultArgs: ['--mute-audio'],
      timeout: 30000,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let closed = false;
  const harness: BrowserHarness = {
    browser: context.browser(),
    context,
    dir,
    newPage: () => context.newPage(),
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t?.teardown(() => harness.close());
  return harness;
}

export interface TeardownHost {
  teardown(fn: () => void | Promise<void>): void;
}

/**
 * One Chromium per distinct set of launch options (the fake microphone is a command-line flag) for
 * a whole test file, instead of one per subtest: start-up is the slow part. Each subtest gets its
 * own browser context (pages, storage) closed at its teardown; the browsers close at the file's.
 */
export class ChromiumPool {
  private readonly browsers = new Map<string, Promise<{ browser: Browser; dir: string }>>();

  constructor(root: TeardownHost) {
    root.teardown(() => this.close());
  }

  /** A fresh context in the shared browser for `opts`, closed at `t`'s teardown. */
  async harness(t: TeardownHost, opts: LaunchOptions = {}): Promise<BrowserHarness> {
    const { browser, dir } = await this.browser(opts);
    const context = await browser.newContext();
    let closed = false;
    const harness: BrowserHarness = {
      browser,
      context,
      dir,
      newPage: () => context.newPage(),
      async close() {
        if (closed) return;
        closed = true;
        await context.close().catch(() => undefined);
      },
    };
    t.teardown(() => harness.close());
    return harness;
  }

  private browser(opts: LaunchOptions): Promise<{ browser: Browser; dir: string }> {
    const key = JSON.stringify(opts);
    let entry = this.browsers.get(key);
    if (!entry) {
      entry = launchShared(opts);
      this.browsers.set(key, entry);
      // a failed launch is not kept: the next subtest tries again
      entry.catch(() => this.browsers.delete(key));
    }
    return entry;
  }

  async close(): Promise<void> {
    const all = [...this.browsers.values()];
    this.browsers.clear();
    await Promise.all(
      all.map(async (p) => {
        const b = await p.catch(() => undefined);
        if (!b) return;
        await b.browser.close().catch(() => undefined);
        rmSync(b.dir, { recursive: true, force: true });
      }),
    );
  }
}

async function launchShared(opts: LaunchOptions): Promise<{ browser: Browser; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-chromium-'));
  const wav = opts.micWav ?? join(dir, 'mic.wav');
  if (!opts.micWav) writeToneWav(wav, opts.micToneHz ?? 1000, 10);
  try {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...chromiumArgs(wav, { mdnsCandidates: opts.mdnsCandidates }), ...(opts.extraArgs ?? [])],
      ignoreDefaultArgs: ['--mute-audio'],
      timeout: 30000,
    });
    return { browser, dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
