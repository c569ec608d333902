/**
 * The whole platform in-process for end-to-end tests: `startPlatform` on loopback with free SIP
 * and HTTP ports, a random RTP range, a temporary DATA_DIR and registrar users; stopped and
 * cleaned up on teardown even when the test fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startPlatform, type Platform } from '../../src/main.js';
import { loadConfig, mergeConfig } from '../../config/load.js';
import type { Call } from '../../src/calls/call.js';
import { warmMedia } from './warm-media.js';

export interface TeardownHost {
  teardown(fn: () => void | Promise<void>): void;
}

export interface TestPlatformOptions {
  /** Registrar users; password defaults to `<username>-pw`. */
  users?: (string | { username: string; password: string })[];
  /** Deep-merged over the test defaults (e.g. `{ recording: { enabled: true } }`). */
  config?: Record<string, unknown>;
  /** Reuse this DATA_DIR (a restart); the caller owns it and removes it. A temp dir otherwise. */
  dataDir?: string;
}

export interface TestPlatform {
  platform: Platform;
  dataDir: string;
  /** The embedded SIP server's UDP listener. */
  sip: { host: string; port: number };
  /** Password of a registrar user. */
  password(user: string): string;
  /** Resolves with the next call the platform creates. */
  nextCall(timeoutMs?: number): Promise<Call>;
}

/** Each test file gets its own slice of ports so files running in parallel rarely meet. */
function rtpRange(): { portMin: number; portMax: number } {
  const base = 30000 + 2 * Math.floor(Math.random() * 12000);
  return { portMin: base, portMax: base + 199 };
}

export async function startTestPlatform(t: TeardownHost, opts: TestPlatformOptions = {}): Promise<TestPlatform> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sb-calls-'));
  const users = (opts.users ?? []).map((u) => (typeof u === 'string' ? { username: u, password: `${u}-pw` } : u));
  const base = {
    logLevel: 'silent',
    dataDir,
    http: { host: '127.0.0.1', port: 0 },
    sip: { listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'] },
    registrar: { users },
    rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', ...rtpRange() },
    media: { workers: 1, ...relaxedAdmission },
    // Tests that speak start flite on their first sentence; the rest skip its start-up CPU.
    speech: { tts: { warmUp: false } },
  };
  const config = loadConfig({}, mergeConfig(base, opts.config ?? {}));
  // SB_TEST_LOG=debug shows the platform's logs on stderr while debugging a test.
  const logger = pino({ level: process.env.SB_TEST_LOG ?? 'silent' }, pino.destination(2));
  let platform: Platform;
  try {
    platform = await startPlatform(config, logger);
  } catch (err) {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  t.teardown(async () => {
    await platform.stop().catch(() => undefined);
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  });
  await warmMedia(platform.media);
  const udp = platform.sipAddresses.find((a) => a.transport === 'udp');
  if (!udp) throw new Error('platform has no UDP SIP listener');
  return {
    platform,
    dataDir,
    sip: { host: udp.host, port: udp.port },
    password: (user) => users.find((u) => u.username === user)?.password ?? '',
    // generous: a loaded machine is slow, and a call that comes resolves this at once
    nextCall: (timeoutMs = 30000) => nextCall(platform, timeoutMs),
  };
}

/**
 * One platform for several subtests of a file, started by the first subtest that asks and stopped
 * when the file ends (`t` is the file's root test): each start costs ~1.5 s of CPU and seconds of
 * wall time on a loaded machine. Subtests sharing it must not depend on one another's registrations
 * (use a user per subtest) and must leave no call behind.
 */
export function sharedPlatform(t: TeardownHost, opts: TestPlatformOptions = {}): () => Promise<TestPlatform> {
  let started: Promise<TestPlatform> | undefined;
  return () => {
    started ??= startTestPlatform(t, opts);
    return started;
  };
}

function nextCall(platform: Platform, timeoutMs: number): Promise<Call> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      platform.calls.off('added', onAdded);
      reject(new Error(`no call within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAdded = (call: Call): void => {
      clearTimeout(timer);
      resolve(call);
    };
    platform.calls.once('added', onAdded);
  });
}

/**
 * The media server refuses calls (503) while its worker's event loop lags or is busy; on a loaded
 * test machine that is the machine, not the platform, so test platforms turn those two checks off
 * through config (the tests of admission itself use their own MediaServer or `media.maxCallsPerWorker`).
 */
export const relaxedAdmission = { maxWorkerUtilization: 1, maxWorkerLagMs: 10000 } as const;
