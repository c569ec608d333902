/**
 * `npm run bench:api`: the calls API with 100,000 call records in the database (SQLite under a temp
 * DATA_DIR), over real HTTP with keep-alive connections:
 * - `GET /api/v1/calls` (first page of 50) and `POST /api/v1/calls/:id/hangup` (on ended calls):
 *   requests per second and p50/p99 latency;
 * - the post-dial delay the API adds: `POST /calls/initiate` sent -> the INVITE arriving at the
 *   trunk's carrier (a UDP peer on 127.0.0.2 that answers 486), p50/p99 over 100 calls.
 * Prints the load average with the figures: the machine may be shared.
 */
import { Agent, request } from 'node:http';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startPlatform } from '../../src/main.js';
import { loadConfig, mergeConfig } from '../../config/load.js';
import { UdpUa, buildResponse } from '../sip/app/udp-ua.js';

const ROWS = Number(process.env['API_BENCH_ROWS'] ?? 100_000);
const SECONDS = Number(process.env['API_BENCH_SECONDS'] ?? 8);
const CONCURRENCY = Number(process.env['API_BENCH_CONCURRENCY'] ?? 16);
const DIALS = Number(process.env['API_BENCH_DIALS'] ?? 100);
const WARM_DIALS = 3;
/** A directory: each load phase's server CPU profile is written there (`<phase>.cpuprofile`, for DevTools). */
const PROFILE_DIR = process.env['API_BENCH_PROFILE'];

/**
 * The main thread's own CPU time (Linux schedstat, ns): what HTTP, SQLite and the handlers cost,
 * without the media workers' and V8 helper threads' time that `process.cpuUsage` adds.
 */
function mainThreadCpuNs(): bigint | undefined {
  try {
    return BigInt(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]!);
  } catch {
    return undefined;
  }
}

/** Profiles the server (this process) while `run` runs, when `API_BENCH_PROFILE` names a directory. */
async function profiled(name: string, run: () => Promise<void>): Promise<void> {
  if (!PROFILE_DIR) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(join(PROFILE_DIR, `${name.replace(/[^a-z0-9]+/gi, '_')}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

interface Http {
  port: number;
  agent: Agent;
  token: string;
}

function send(h: Http, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port: h.port,
        method,
        path,
        agent: h.agent,
        headers: {
          authorization: `Bearer ${h.token}`,
          ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Runs `loadHere` in a child process, so the load generator does not share the server's event loop
 * (and its core): the figures are the server's. `paths` cycle; `{id}` takes the next of `ids`.
 */
function load(h: Http, name: string, method: string, path: string, ids: number[] = []): Promise<void> {
  return profiled(name, () => loadOnce(h, name, method, path, ids));
}

function loadOnce(h: Http, name: string, method: string, path: string, ids: number[]): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--load'], { stdio: 'inherit' });
  // The server's own CPU time per request: comparable across runs on a shared, loaded machine
  // where wall-clock req/s depends on what else runs ("requests per CPU-second" ~ "reads/s on one core").
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuNs();
  let requests = 0;
  child.on('message', (m: { requests?: number }) => {
    requests = m.requests ?? requests;
  });
  child.send({ port: h.port, token: h.token, name, method, path, ids });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const used = process.cpuUsage(cpu0);
      const cpuS = (used.user + used.system) / 1e6;
      const mainS = main0 === undefined ? NaN : Number(mainThreadCpuNs()! - main0) / 1e9;
      console.log(
        `${name}: server CPU ${cpuS.toFixed(2)} s for ${requests} requests = ${(requests / cpuS).toFixed(0)} requests per server CPU-second (${((cpuS * 1e6) / Math.max(1, requests)).toFixed(0)} µs each; main thread ${((mainS * 1e6) / Math.max(1, requests)).toFixed(0)} µs = ${(requests / mainS).toFixed(0)}/s; load ${loadavg()[0]!.toFixed(2)})`,
      );
      if (code === 0) resolve();
      else reject(new Error(`load child exited ${code}`));
    });
  });
}

/** `CONCURRENCY` keep-alive loops for `SECONDS`; every answer must have the expected status. */
async function loadHere(h: Http, name: string, next: (i: number) => [string, string], expect: number): Promise<void> {
  const lat: number[] = [];
  let n = 0;
  let bad = 0;
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const [method, path] = next(n++);
        const t0 = process.hrtime.bigint();
        const r = await send(h, method, path);
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.status !== expect) bad++;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  process.send?.({ requests: lat.length });
  console.log(
    `${name}: ${(lat.length / SECONDS).toFixed(0)} req/s, p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, ${bad} unexpected answers (concurrency ${CONCURRENCY}, ${SECONDS} s)`,
  );
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-api-bench-'));
  const carrier = new UdpUa();
  await carrier.open('127.0.0.2');
  const arrivals = new Map<string, bigint>();
  /** The main thread's CPU time when each INVITE arrived (the carrier runs in this process, on this thread). */
  const arrivalCpu = new Map<string, bigint | undefined>();
  carrier.onRequest = (raw, reply) => {
    if (!raw.startsWith('INVITE ')) return;
    const to = /^INVITE sip:([^@;]+)/.exec(raw)?.[1] ?? '';
    if (!arrivalCpu.has(to)) arrivalCpu.set(to, mainThreadCpuNs());
    if (!arrivals.has(to)) arrivals.set(to, process.hrtime.bigint());
    reply(buildResponse(raw, 486, 'Busy Here', { toTag: 'bench' }));
  };
  const base = 40000 + 2 * Math.floor(Math.random() * 5000);
  const config = loadConfig(
    {},
    mergeConfig(
      {
        logLevel: 'silent',
        dataDir,
        http: { host: '127.0.0.1', port: 0 },
        sip: { listen: ['udp:127.0.0.1:0'] },
        rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: base, portMax: base + 999 },
        media: { workers: 1 },
        trunks: [{ name: 'carrier', host: '127.0.0.2', port: carrier.port, transport: 'udp' }],
      },
      {},
    ),
  );
  const platform = await startPlatform(config, pino({ level: 'silent' }));
  try {
    const store = platform.store;
    const project = (await store.projects.first())!;
    await store.numbers.assign(project.id, '+14155550100');
    const { token } = await store.apiTokens.create(project.id);
    const t0 = Date.now();
    const ids: number[] = [];
    for (let i = 0; i < ROWS; i += 500) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(500, ROWS - i) }, (_, k) =>
          store.calls.insert({
            projectId: project.id,
            direction: 'outbound',
            from: '+14155550100',
            to: `+3361${String(i + k).padStart(7, '0')}`,
            status: 'completed',
          }),
        ),
      );
      for (const c of batch) ids.push(c.id);
    }
    console.log(`filled ${ROWS} call records in ${((Date.now() - t0) / 1000).toFixed(1)} s (through store.calls.insert)`);
    const h: Http = { port: platform.http.port, agent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }), token };
    console.log(
      `load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    await load(h, 'GET /api/v1/calls', 'GET', '/api/v1/calls');
    await load(h, 'GET /api/v1/calls?status=completed&page=20', 'GET', '/api/v1/calls?status=completed&page=20');
    await load(
      h,
      'POST /api/v1/calls/:id/hangup',
      'POST',
      '/api/v1/calls/{id}/hangup',
      ids.filter((_, i) => i % 10 === 0),
    );

    // Post-dial delay: the agent line is a number, so the very first INVITE goes to the trunk.
    const delays: number[] = [];
    /** Main-thread CPU from the request sent to the INVITE's arrival: the work on the path, whatever the load. */
    const pathCpu: number[] = [];
    const warm: number[] = [];
    let refused = 0;
    await profiled('post-dial', async () => {
      // The first calls after start run cold code (JIT, first statements, the worker's first session):
      // reported apart, so the percentiles describe a running box.
      for (let i = 0; i < WARM_DIALS + DIALS; i++) {
        const line = `+3370${String(i).padStart(7, '0')}`;
        let sent = process.hrtime.bigint();
        let sentCpu = mainThreadCpuNs();
        let r = await send(h, 'POST', '/api/v1/calls/initiate', {
          call_type: 'bridge',
          recipient_phone_number: '+33612345678',
          inbound_phone_number: line,
        });
        // The media server's admission control refuses calls while its worker lags (a loaded machine): retry as a client would.
        for (let tries = 0; r.status === 503 && tries < 20; tries++) {
          refused++;
          await new Promise((res) => setTimeout(res, 1000));
          sent = process.hrtime.bigint();
          sentCpu = mainThreadCpuNs();
          r = await send(h, 'POST', '/api/v1/calls/initiate', {
            call_type: 'bridge',
            recipient_phone_number: '+33612345678',
            inbound_phone_number: line,
          });
        }
        if (r.status !== 201) throw new Error(`initiate answered ${r.status}: ${r.text}`);
        const deadline = Date.now() + 5000;
        while (!arrivals.has(line) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 1));
        const at = arrivals.get(line);
        if (at === undefined) throw new Error(`no INVITE for ${line}`);
        if (i < WARM_DIALS) warm.push(Number(at - sent) / 1e6);
        else {
          delays.push(Number(at - sent) / 1e6);
          const cpuAt = arrivalCpu.get(line);
          if (cpuAt !== undefined && sentCpu !== undefined) pathCpu.push(Number(cpuAt - sentCpu) / 1e6);
        }
      }
    });
    const slowest = delays
      .map((ms, i) => ({ ms, i }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5);
    delays.sort((a, b) => a - b);
    console.log(
      `post-dial delay of the first ${WARM_DIALS} calls after start (cold): ${warm.map((ms) => ms.toFixed(1)).join(', ')} ms`,
    );
    console.log(`post-dial slowest calls: ${slowest.map((s) => `#${s.i} ${s.ms.toFixed(1)} ms`).join(', ')}`);
    console.log(
      `post-dial delay (POST /calls/initiate -> INVITE at the carrier): p50 ${pct(delays, 50).toFixed(2)} ms, p99 ${pct(delays, 99).toFixed(2)} ms over ${DIALS} calls (${refused} answers 503 from media admission control, retried)`,
    );
    pathCpu.sort((a, b) => a - b);
    if (pathCpu.length)
      console.log(
        `post-dial main-thread CPU (request sent -> INVITE at the carrier, load-independent): p50 ${pct(pathCpu, 50).toFixed(2)} ms, p99 ${pct(pathCpu, 99).toFixed(2)} ms`,
      );
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    h.agent.destroy();
  } finally {
    await platform.stop();
    carrier.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--load')) {
  process.once('message', (m: { port: number; token: string; name: string; method: string; path: string; ids: number[] }) => {
    const h: Http = { port: m.port, token: m.token, agent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }) };
    void loadHere(h, m.name, (i) => [m.method, m.path.replace('{id}', String(m.ids[i % Math.max(1, m.ids.length)]))], 200).then(
      () => {
        h.agent.destroy();
        process.exit(0);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
} else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
