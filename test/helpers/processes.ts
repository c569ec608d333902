/**
 * Child processes of a test that die with it, whatever happens to the test.
 *
 * `spawnOwned` starts a program in its own process group (`detached: true`) behind a small shell
 * wrapper. The wrapper runs the program with stdin from /dev/null and keeps a watchdog in the
 * same group that reads the wrapper's stdin, a pipe from this process: when this process dies for
 * any reason (even SIGKILL from tap after a timeout) the pipe reaches EOF and the watchdog kills
 * the whole group with SIGKILL. SIGKILL on the group is also how `kill()` ends a program, because
 * baresip ignores SIGTERM. Besides, every live group is killed on this process's `exit` and on
 * SIGTERM/SIGINT/SIGHUP.
 */
import { type ChildProcess, spawn } from 'node:child_process';

// $1.. is the program and its arguments. The watchdog's stdin is named explicitly (fd 3): without
// job control a background list would get /dev/null. `kill -KILL 0` signals the caller's own
// process group, which the watchdog shares with the program. `exec` keeps the program's pid, exit
// code and signal those of the child we spawned.
const WRAPPER = [
  'exec 3<&0 0</dev/null',
  '{ cat >/dev/null; kill -KILL 0; } <&3 >/dev/null 2>&1 &',
  'exec 3<&-',
  'exec "$@"',
].join('\n');

const groups = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/** Kills every process group started by `spawnOwned` that is still alive. */
export function killAllOwned(): void {
  for (const pid of groups) killGroup(pid);
  groups.clear();
}

let hooked = false;

function hookProcess(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllOwned);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllOwned();
      // Let the default action (or tap's own handler) end the process as if we were not here.
      process.off(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export interface OwnedProcess {
  readonly child: ChildProcess;
  /** True until the program has exited. */
  readonly running: boolean;
  /** SIGKILL to the whole process group; resolves once the program is gone. */
  kill(): Promise<void>;
}

/**
 * The environment for a Node child (the platform, the admin CLI, the SIP server CLI): this one's,
 * minus tap's NODE_OPTIONS. tap's processinfo hook would otherwise load in the child and route every
 * module it imports through a hooks thread (1.3 s more CPU for `admin.js --help`).
 */
export function nodeChildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NODE_OPTIONS: '', ...extra };
}

export interface OwnedSpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Spawns `command` in its own process group, killed with this process; stdout and stderr are pipes. */
export function spawnOwned(command: string, args: string[], opts: OwnedSpawnOptions = {}): OwnedProcess {
  hookProcess();
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'sh', command, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  let exited = child.pid === undefined;
  const gone = new Promise<void>((resolve) => {
    if (exited) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  if (pid !== undefined) groups.add(pid);
  child.stdin?.on('error', () => undefined);
  child.once('exit', () => {
    exited = true;
    // What the program left behind in its group (and the watchdog) goes with it.
    if (pid !== undefined) {
      killGroup(pid);
      groups.delete(pid);
    }
    child.stdin?.destroy();
  });
  return {
    child,
    get running() {
      return !exited;
    },
    async kill() {
      if (pid !== undefined && !exited) killGroup(pid);
      await gone;
    },
  };
}
