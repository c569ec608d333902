/**
 * `node dist/src/main.js` as a service manager runs it: its own process group, a config file and
 * environment of the test's choosing, stdout/stderr collected, and the whole group SIGKILLed on
 * teardown whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TeardownHost } from './support.js';

export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface PlatformProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `re`; rejects if the process exits first. */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal) and how long after `since` it came. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const path = join(dir, 'switchboard.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** The repository root (dist/test/platform -> .), where `npm start` runs. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Starts `node dist/src/main.js`, or with `viaNpm` `npm start` in the repository, as the leader
 * of a new process group.
 */
export function spawnPlatform(t: TeardownHost, env: Record<string, string>, opts: { viaNpm?: boolean } = {}): PlatformProcess {
  // only what the test sets: an inherited LOG_LEVEL or SWITCHBOARD_CONFIG must not leak in
  const childEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env };
  const [cmd, args] = opts.viaNpm ? ['npm', ['start', '--silent']] : [process.execPath, [MAIN]];
  const child = spawn(cmd, args, { cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal, at: Date.now() });
    });
  });
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  t.teardown(async () => {
    if (!done && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await exited;
  });
  const line = (re: RegExp, timeoutMs = 60000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = out.split('\n').find((l) => re.test(l));
        if (hit === undefined) return false;
        cleanup();
        resolve(hit);
        return true;
      };
      const onData = (): void => {
        check();
      };
      const onExit = (): void => {
        if (!check()) {
          cleanup();
          reject(new Error(`exited before ${re}; stderr: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no line ${re} within ${timeoutMs} ms; stderr: ${err}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
      };
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
      if (done) onExit();
      else check();
    });
  return { child, stdout: () => out, stderr: () => err, line, exited };
}
