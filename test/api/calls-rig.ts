/**
 * What the calls API tests share: a sipp "carrier" on 127.0.0.2 (echoing, or answering with a
 * tone), the platform with that trunk and a number for the default project, a project token made
 * by the admin CLI (a child process on the same database), and a JSON fetch with that token.
 */
import { execFile } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, startSipp, type SippProcess } from '../helpers/sipp.js';
import { startTestPlatform, type TeardownHost, type TestPlatform } from '../helpers/platform.js';
import { sleep } from '../calls/phones.js';
import { nodeChildEnv } from '../helpers/processes.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
// Scenarios stay in the source tree (dist/test/api -> test/api/scenarios).
const scenarios = join(here, '../../../test/api/scenarios');
const adminJs = join(here, '../../src/admin.js');

/** Trunks are recognised by source address: the carrier must not share the phones' 127.0.0.1. */
export const CARRIER = '127.0.0.2';
export const PROJECT_NUMBER = '+14155550100';
export const RECIPIENT = '+33612345678';

export interface Carrier {
  port: number;
  sipp: SippProcess;
}

/**
 * A carrier that answers every INVITE: `echo` returns the audio it gets, a number streams that tone
 * (PCMU). sipp quits after `lifetimeMs` whatever it is doing: a carrier shared by a whole file must
 * outlive the file (on a loaded machine a platform start alone took 24 s).
 */
export async function startCarrier(
  t: TeardownHost,
  dir: string,
  mode: 'echo' | number,
  calls = 1,
  lifetimeMs = 60000,
): Promise<Carrier> {
  const port = await freePort(CARRIER);
  const media = ['-mi', CARRIER, '-mp', String(await freePort(CARRIER))];
  if (mode === 'echo') {
    const sipp = await startSipp(t, {
      scenario: 'uas',
      localHost: CARRIER,
      localPort: port,
      calls,
      timeoutMs: lifetimeMs,
      extraArgs: ['-rtp_echo', ...media],
    });
    return { port, sipp };
  }
  const tone = join(dir, `carrier-${mode}.wav`);
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'u-law', tone, 'synth', '30', 'sine', String(mode), 'vol', '0.3']);
  const scenario = join(dir, 'uas-answer-tone.xml');
  writeFileSync(scenario, readFileSync(join(scenarios, 'uas-answer-tone.xml'), 'utf8').replaceAll('__FILE__', tone));
  const sipp = await startSipp(t, {
    scenario,
    localHost: CARRIER,
    localPort: port,
    calls,
    timeoutMs: lifetimeMs,
    extraArgs: media,
  });
  return { port, sipp };
}

/** `token create` through the admin CLI, as an operator would get YOUR_TOKEN. */
export async function adminToken(dataDir: string, projectId: number): Promise<string> {
  const { stdout } = await run(process.execPath, [adminJs, 'token', 'create', String(projectId)], {
    env: nodeChildEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
  });
  return stdout.trim();
}

export interface CallsPlatform {
  tp: TestPlatform;
  projectId: number;
  token: string;
  base: string;
  api(
    path: string,
    init?: { method?: string; body?: unknown; token?: string | null },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
}

export async function startCallsPlatform(
  t: TeardownHost,
  opts: { carrierPort: number; users?: string[]; config?: Record<string, unknown>; dataDir?: string },
): Promise<CallsPlatform> {
  const tp = await startTestPlatform(t, {
    users: opts.users ?? ['alice'],
    dataDir: opts.dataDir,
    config: { trunks: [{ name: 'carrier', host: CARRIER, port: opts.carrierPort, transport: 'udp' }], ...(opts.config ?? {}) },
  });
  const project = await tp.platform.store.projects.first();
  if (!project) throw new Error('no default project');
  if (!(await tp.platform.store.numbers.findByE164(PROJECT_NUMBER)))
    await tp.platform.store.numbers.assign(project.id, PROJECT_NUMBER);
  const token = await adminToken(tp.dataDir, project.id);
  const base = `http://${tp.platform.http.host}:${tp.platform.http.port}`;
  return {
    tp,
    projectId: project.id,
    token,
    base,
    async api(path, init = {}) {
      const headers: Record<string, string> = {};
      const tok = init.token === undefined ? token : init.token;
      if (tok) headers.authorization = `Bearer ${tok}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(base + path, {
        method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
        headers,
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      });
      const text = await res.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { raw: text };
      }
      return { status: res.status, body };
    },
  };
}

/** Polls until `check` resolves true (or `timeoutMs`); the assertion after it still decides. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** The seed's curl, as a shell command with the base URL replaced. */
export async function curl(cmd: string): Promise<string> {
  const { stdout } = await run('sh', ['-c', cmd]);
  return stdout;
}
