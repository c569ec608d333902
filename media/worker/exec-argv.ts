/**
 * Flags for worker threads (media workers, flite, the MP3 decoder): the parent's flags without its
 * module loaders (`--import`, `--loader`, `--require`). Node hands a worker its parent's execArgv, so
 * hooks a test runner or an agent installs in the main thread would be loaded again in every worker,
 * and every module the worker imports would go through them: seconds of start-up per worker
 * (under node-tap: 8.1 s to the first media session instead of 3.6 s; an MP3 decode worker took
 * 3.0 s of CPU instead of 0.2 s). V8's perf flags (`--perf-basic-prof`, `--perf-prof`) are left out
 * too: they are process-wide (one map file covers every thread) and a worker given them fails to start.
 */
export function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^--perf-(basic-)?prof/.test(a)) continue;
    const m = /^--(import|loader|experimental-loader|require)(=|$)/.exec(a);
    if (!m) out.push(a);
    else if (m[2] === '') i++; // the value is the next argument
  }
  return out;
}
