/**
 * Runs sipp as a test peer: a scenario file or a built-in (`uac`, `uas`, ...), given local and remote
 * ports; waits for exit and returns the exit code, the call counts from the statistics file, and the
 * unexpected-message log. The process is always killed on teardown, even if the test fails.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';
import { type OwnedProcess, spawnOwned } from './processes.js';

export { freeMediaPort, freePort } from './ports.js';

export interface SippOptions {
  /** Path to a scenario XML, or a built-in scenario name (`uac`, `uas`, `uac_pcap`, ...). */
  scenario: string;
  /** `host:port` of the peer (omit for a UAS that only answers). */
  remote?: string;
  /** Local SIP port; 0 or undefined picks a free one. */
  localPort?: number;
  localHost?: string;
  /** sipp transport mode: `u1` (UDP, one socket, default), `t1` (TCP, one connection), `un`... */
  transport?: 'u1' | 'un' | 't1' | 'tn';
  /** Number of calls to complete before exiting (-m); default 1. */
  calls?: number;
  /** Calls per second (-r). */
  rate?: number;
  /** Concurrent call limit (-l). */
  limit?: number;
  /**
   * R-URI user (-s). With `-au` in `extraArgs` (and no `-auth_uri`), digest answers are computed
   * for `sip:<service>@<remote>`, the Request-URI of the INVITE scenarios.
   */
  service?: string;
  /** Values for `[key]` placeholders (-key name value). */
  keys?: Record<string, string>;
  /** Kill sipp if it runs longer than this (default 30 s). */
  timeoutMs?: number;
  /** Record response times (-trace_rtt) and return them. */
  rtt?: boolean;
  extraArgs?: string[];
}

export interface SippResult {
  /** sipp exit code: 0 all calls succeeded, 1 at least one failed, 97/99/255 internal/aborted; null if killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  successful: number;
  failed: number;
  /** Contents of the unexpected-message log (empty when none). */
  errors: string;
  stdout: string;
  stderr: string;
  /** Response times in ms from -trace_rtt (first rtd timer), when `rtt` was set. */
  rtts: number[];
  localPort: number;
}

export interface TeardownHost {
  teardown(fn: () => void | Promise<void>): void;
}

export class SippProcess {
  readonly dir: string;
  localPort = 0;
  private proc?: OwnedProcess;
  private result?: Promise<SippResult>;

  constructor(private readonly opts: SippOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'sb-sipp-'));
  }

  /** Spawns sipp; resolves once it has bound its SIP port (or has already exited). */
  async start(): Promise<void> {
    const o = this.opts;
    this.localPort = o.localPort || (await freePort(o.localHost));
    const isBuiltin = !o.scenario.includes('/') && !o.scenario.endsWith('.xml');
    const args = [
      ...(isBuiltin ? ['-sn', o.scenario] : ['-sf', o.scenario]),
      '-i',
      o.localHost ?? '127.0.0.1',
      '-p',
      String(this.localPort),
      '-t',
      o.transport ?? 'u1',
      '-m',
      String(o.calls ?? 1),
      '-nostdin',
      '-trace_err',
      '-error_file',
      join(this.dir, 'errors.log'),
      '-trace_stat',
      '-stf',
      join(this.dir, 'stats.csv'),
      '-fd',
      '1',
      '-timeout',
      `${Math.ceil((o.timeoutMs ?? 30000) / 1000)}s`,
      '-timeout_error',
    ];
    if (o.rate) args.push('-r', String(o.rate));
    if (o.limit) args.push('-l', String(o.limit));
    if (o.service) args.push('-s', o.service);
    if (o.rtt) args.push('-trace_rtt', '-rtt_freq', '1');
    for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, v);
    const extra = o.extraArgs ?? [];
    args.push(...extra);
    // sipp's digest answers name `sip:remote_ip:port` as their digest-uri unless told otherwise; the
    // registrar binds an answer to the Request-URI (RFC 3261 §22.4), so a caller dialing [service]
    // (every INVITE scenario here sends `sip:[service]@[remote_ip]:[remote_port]`) must answer for that.
    if (o.service && o.remote && extra.includes('-au') && !extra.includes('-auth_uri')) {
      args.push('-auth_uri', `${o.service}@${o.remote}`); // sipp adds the `sip:`
    }
    if (o.remote) args.push(o.remote);
    const proc = spawnOwned('sipp', args, { cwd: this.dir });
    this.proc = proc;
    const child = proc.child;
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < 200_000) stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 200_000) stderr += d.toString();
    });
    const killTimer = setTimeout(() => void proc.kill(), (o.timeoutMs ?? 30000) + 5000);
    this.result = new Promise<SippResult>((resolve) => {
      child.once('error', (err) => {
        stderr += String(err);
      });
      child.once('close', (code, signal) => {
        clearTimeout(killTimer);
        resolve({ code, signal, stdout, stderr, localPort: this.localPort, ...this.readFiles() });
      });
    });
    // Over TCP only a sipp without a remote (a UAS) listens; a UAC connects out.
    const tcp = o.transport === 't1' || o.transport === 'tn';
    // A sipp that exits at once (bad arguments) is reported by wait(), not here.
    if (!tcp || !o.remote)
      await waitForPort(this.localPort, tcp ? 'tcp' : 'udp', 10000, () => proc.running).catch(() => undefined);
  }

  wait(): Promise<SippResult> {
    if (!this.result) throw new Error('sipp not started');
    return this.result;
  }

  /** SIGKILL to sipp's process group; resolves once it is gone. */
  async kill(): Promise<void> {
    await this.proc?.kill();
  }

  async cleanup(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private readFiles(): { successful: number; failed: number; errors: string; rtts: number[] } {
    try {
      return this.readFilesUnsafe();
    } catch {
      return { successful: 0, failed: 0, errors: '', rtts: [] };
    }
  }

  private readFilesUnsafe(): { successful: number; failed: number; errors: string; rtts: number[] } {
    let successful = 0;
    let failed = 0;
    let errors = '';
    const rtts: number[] = [];
    const stats = join(this.dir, 'stats.csv');
    if (existsSync(stats)) {
      const lines = readFileSync(stats, 'utf8').trim().split('\n');
      const head = lines[0]?.split(';') ?? [];
      const last = lines[lines.length - 1]?.split(';') ?? [];
      const col = (name: string): number => Number(last[head.indexOf(name)] ?? 0) || 0;
      successful = col('SuccessfulCall(C)');
      failed = col('FailedCall(C)');
    }
    const err = join(this.dir, 'errors.log');
    if (existsSync(err)) errors = readFileSync(err, 'utf8');
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('_rtt.csv')) continue;
      const lines = readFileSync(join(this.dir, f), 'utf8').trim().split('\n').slice(1);
      for (const l of lines) {
        const v = Number(l.split(';')[1]);
        if (Number.isFinite(v)) rtts.push(v);
      }
    }
    return { successful, failed, errors, rtts };
  }
}

/** Start sipp and register its teardown (kill + temp dir removal) on the tap test. */
export async function startSipp(t: TeardownHost, opts: SippOptions): Promise<SippProcess> {
  const p = new SippProcess(opts);
  t.teardown(() => p.cleanup());
  await p.start();
  return p;
}

/** Start sipp and wait for it to exit. */
export async function runSipp(t: TeardownHost, opts: SippOptions): Promise<SippResult> {
  const p = await startSipp(t, opts);
  return p.wait();
}
