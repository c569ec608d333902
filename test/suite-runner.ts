/**
 * `npm test`'s runner: every dist/test/**\/*.test.js file in a plain `node --enable-source-maps`,
 * two at a time, with tap's own parser reading what each prints.
 *
 * Why not the `tap` command (it still runs single files: `npx tap dist/test/x.test.js`): it loads
 * @tapjs/processinfo into every test process and, through NODE_OPTIONS, into every Node process a
 * test starts. On Node 20 that puts each ES module load behind an off-thread loader hook and
 * records every file's line lengths; measured on single files it doubled the CPU of an API file
 * (calls-errors: 13.8 s with tap against 5.5 s plain) and a store file (4.1 s against 1.9 s). The
 * tests are node-tap tests either way; only the runner differs.
 *
 * Each file runs in a process group of its own, so a timeout (TAP_TIMEOUT, 300 s) or a Ctrl-C
 * kills the test with every peer it started. Files are started longest first, by the times of the
 * previous run (kept in dist/.suite-times.json), so the slow ones do not finish the run alone. A
 * fresh checkout (CI's every run) has no previous run: it takes the committed test/suite-times.json,
 * a copy of a quiet run's file (refresh it so when files are added or grow).
 *
 * Usage: node dist/test/suite-runner.js [file or directory ...]   (TEST_JOBS sets the parallelism)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from 'tap-parser';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const distTest = join(root, 'dist', 'test');
const timesFile = join(root, 'dist', '.suite-times.json');
const seedTimesFile = join(root, 'test', 'suite-times.json');
const JOBS = Math.max(1, Number(process.env['TEST_JOBS'] ?? 2));
const TIMEOUT_S = Number(process.env['TAP_TIMEOUT'] ?? 300);

interface FileResult {
  file: string;
  ok: boolean;
  asserts: number;
  failed: number;
  skipped: number;
  seconds: number;
  output: string;
  why?: string;
}

function testFiles(args: string[]): string[] {
  const found: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) if (e !== 'node_modules') walk(join(p, e));
    } else if (p.endsWith('.test.js')) found.push(p);
  };
  for (const a of args.length ? args : [distTest]) walk(resolve(a));
  return found;
}

/** Counts the assertions themselves: a subtest's own summary line is not one. */
function countAsserts(parser: Parser, tally: { asserts: number }): void {
  parser.on('assert', () => tally.asserts++);
  parser.on('child', (child: Parser) => {
    tally.asserts--;
    countAsserts(child, tally);
  });
}

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    /* the group is gone */
  }
}

function runFile(file: string): Promise<FileResult> {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--enable-source-maps', file], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TAP_TIMEOUT: String(TIMEOUT_S) },
  });
  running.add(child);
  const tally = { asserts: 0 };
  let output = '';
  let why: string | undefined;
  const parser = new Parser();
  countAsserts(parser, tally);
  const results = new Promise<Parser['results']>((res) => parser.on('complete', res));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d;
    parser.write(d);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  // the test library times itself out first; this is for a process that hangs past it
  const hardStop = setTimeout(
    () => {
      why = `killed after ${TIMEOUT_S + 30} s`;
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), 5000).unref();
    },
    (TIMEOUT_S + 30) * 1000,
  );
  return new Promise((done) => {
    child.on('close', (code, signal) => {
      clearTimeout(hardStop);
      running.delete(child);
      // whatever the test left behind in its group goes with it
      killGroup(child, 'SIGKILL');
      parser.end();
      void results.then((r) => {
        const failed = r?.fail ?? 0;
        const ok = code === 0 && !!r?.ok && failed === 0;
        if (!ok && !why) why = signal ? `exited on ${signal}` : code !== 0 ? `exit code ${code}` : 'a failed assertion';
        done({
          file,
          ok,
          asserts: tally.asserts,
          failed,
          skipped: (r?.skip ?? 0) + (r?.todo ?? 0),
          seconds: (Date.now() - t0) / 1000,
          output,
          why,
        });
      });
    });
  });
}

async function main(): Promise<void> {
  const files = testFiles(process.argv.slice(2));
  const known = [timesFile, seedTimesFile].find((f) => existsSync(f));
  const before: Record<string, number> = known ? JSON.parse(readFileSync(known, 'utf8')) : {};
  const name = (f: string): string => relative(root, f);
  // longest first; files never timed (new ones) go first too, as they may be long
  const queue = [...files].sort((a, b) => (before[name(b)] ?? 1e9) - (before[name(a)] ?? 1e9));
  const results: FileResult[] = [];
  const t0 = Date.now();
  const stop = (signal: NodeJS.Signals): void => {
    for (const c of running) killGroup(c, 'SIGKILL');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const worker = async (): Promise<void> => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await runFile(f);
      results.push(r);
      process.stdout.write(
        `${r.ok ? 'ok    ' : 'FAILED'} ${r.seconds.toFixed(1).padStart(6)} s  ${String(r.asserts).padStart(4)}  ${name(f)}` +
          `${r.ok ? '' : `  (${r.why})`}\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOBS, files.length) }, worker));

  const times = { ...before };
  for (const r of results) times[name(r.file)] = r.seconds;
  writeFileSync(timesFile, JSON.stringify(times, null, 1));

  const failed = results.filter((r) => !r.ok);
  for (const r of failed) process.stdout.write(`\n======== ${name(r.file)}: ${r.why}\n${r.output}\n`);
  const sum = (k: 'asserts' | 'failed' | 'skipped'): number => results.reduce((s, r) => s + r[k], 0);
  process.stdout.write(
    `\n${results.length} files, ${sum('asserts')} assertions, ${sum('failed')} failed, ${sum('skipped')} skipped or todo; ` +
      `${failed.length} files failed; ${((Date.now() - t0) / 1000).toFixed(0)} s with ${JOBS} jobs\n`,
  );
  for (const r of failed) process.stdout.write(`  failed: ${name(r.file)} (${r.why})\n`);
  process.exitCode = failed.length || files.length === 0 ? 1 : 0;
}

void main();
