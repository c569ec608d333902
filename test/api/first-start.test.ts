/**
 * The operator's path, as real processes: `node dist/src/main.js` on an empty DATA_DIR prints a
 * default project's token once; the seed's curl example works with it; `admin` (a child process
 * on the same database while the server runs) creates and revokes tokens and hands out numbers
 * from the trunk inventory; a restart keeps everything and prints no new token.
 */
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { nodeChildEnv } from '../helpers/processes.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const mainJs = join(here, '../../src/main.js');
const adminJs = join(here, '../../src/admin.js');
t.setTimeout(180000);

const dataDir = mkdtempSync(join(tmpdir(), 'sb-first-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
const configFile = join(dataDir, 'config.json');
writeFileSync(
  configFile,
  JSON.stringify({
    registrar: { users: [{ username: 'alice', password: 'alice-pw', displayName: 'Alice' }] },
    trunks: [
      {
        name: 'carrier',
        host: '127.0.0.1',
        port: 5999,
        numbers: [
          { number: '+14155550100', country: 'US', type: 'local', areaCode: '415' },
          { number: '+14155550101', country: 'US', type: 'local', areaCode: '415' },
        ],
      },
    ],
  }),
);
const base = 40000 + 2 * Math.floor(Math.random() * 5000);
const env = {
  ...nodeChildEnv(),
  DATA_DIR: dataDir,
  SWITCHBOARD_CONFIG: configFile,
  LOG_LEVEL: 'info',
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: '0',
  SIP_LISTEN: 'udp:127.0.0.1:0',
  RTP_ADDRESS: '127.0.0.1',
  RTP_ADVERTISED_ADDRESS: '127.0.0.1',
  RTP_PORT_MIN: String(base),
  RTP_PORT_MAX: String(base + 99),
  MEDIA_WORKERS: '1',
};

interface Server {
  proc: ChildProcess;
  port: number;
  lines: Record<string, unknown>[];
}

async function startServer(): Promise<Server> {
  const proc = spawn(process.execPath, [mainJs], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  t.teardown(async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  const lines: Record<string, unknown>[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`server exited (${code}) before it was up`)));
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(l) as Record<string, unknown>;
      } catch {
        return;
      }
      lines.push(rec);
      if (rec.msg === 'Switchboard is up') resolve((rec.http as { port: number }).port);
    });
  });
  return { proc, port, lines };
}

async function stopServer(s: Server): Promise<void> {
  const exited = new Promise<number | null>((resolve) => s.proc.once('exit', (code) => resolve(code)));
  s.proc.kill('SIGTERM');
  t.equal(await exited, 0, 'the server shuts down cleanly');
}

async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [adminJs, ...args], { env }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

async function curl(cmd: string): Promise<string> {
  const { stdout } = await run('sh', ['-c', cmd]);
  return stdout;
}

t.test("first start, the seed's curl, the admin CLI, restart", async (t) => {
  const first = await startServer();
  const created = first.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('created project "default"'));
  t.ok(created, 'the first start announces the default project');
  t.equal(created?.level, 40, 'as a warning');
  t.match(created?.msg, /will not be shown again/);
  const token = created?.token as string;
  t.match(token, /^sbp_/);
  const api = `http://127.0.0.1:${first.port}`;

  // The seed's example, with only the base URL and token replaced.
  const seed = 'curl https://api.phonevoice.ai/api/whoami \\\n  -H "Authorization: Bearer YOUR_TOKEN"';
  const who = JSON.parse(await curl(seed.replace('https://api.phonevoice.ai', api).replace('YOUR_TOKEN', token))) as unknown;
  t.same(who, { status: 'ok', id: 1, name: 'default', email: null });

  const made = await admin('token', 'create', '1', '--scopes', 'numbers:read');
  t.equal(made.code, 0);
  const second = made.stdout.trim();
  t.match(second, /^sbp_[A-Za-z0-9_-]{43}$/, 'the token alone on stdout');
  t.match(made.stderr, /token 2 for project 1 .*will not be shown again/);
  t.same(JSON.parse(await curl(`curl -s ${api}/api/whoami -H "x-api-key: ${second}"`)), who, 'x-api-key');
  t.same(JSON.parse(await curl(`curl -s "${api}/api/whoami?api_token=${second}"`)), who, '?api_token=');
  const listed = await admin('token', 'list', '1');
  t.match(listed.stdout, /^1\tsbp_.{6}…\t\*\tactive\t20/m);
  t.notMatch(listed.stdout, new RegExp(second.slice(12)), 'listings never show a whole token');
  t.equal((await admin('token', 'revoke', '2')).code, 0);
  t.same(
    JSON.parse(await curl(`curl -s ${api}/api/whoami -H "x-api-key: ${second}"`)),
    { error: 'missing or invalid token' },
    'revoked',
  );
  t.equal((await admin('token', 'revoke', '2')).code, 1, 'revoking twice is refused');

  t.match((await admin('project', 'create', 'Other', 'Co')).stdout, /^project 2 Other Co$/m);
  t.match((await admin('project', 'list')).stdout, /^1\tdefault\t.*\n2\tOther Co\t/m);
  const other = await admin('number', 'add', '2', '+14155550100', '--forward', '+33612345678');
  t.equal(other.code, 0);
  const otherId = Number(other.stdout.match(/^number (\d+) /)?.[1]);
  const steal = await admin('number', 'add', '1', '+14155550100');
  t.same([steal.code, steal.stderr.trim()], [1, 'admin: +14155550100 belongs to another project']);
  const mine = await admin('number', 'add', '1', '+14155550101', '--agent', 'alice');
  t.match(mine.stdout, /-> project 1 \(agent\)/, 'the config user is an agent of the default project');
  t.equal((await admin('number', 'add', '1', '+14155550102', '--agent', 'nobody')).code, 1);
  t.equal((await admin('number', 'add', '1', 'not-a-number')).code, 2, 'usage errors exit 2');
  t.equal((await admin('bogus')).code, 2);

  const foreign = JSON.parse(
    await curl(`curl -s ${api}/api/v1/relay_numbers/${otherId} -H "Authorization: Bearer ${token}"`),
  ) as unknown;
  t.same(foreign, { error: 'forbidden: this number belongs to another project' });
  const list = JSON.parse(await curl(`curl -s ${api}/api/v1/relay_numbers -H "Authorization: Bearer ${token}"`)) as {
    relay_numbers: unknown[];
  };
  t.match(list.relay_numbers, [
    { phone_number: '+14155550101', country: 'US', type: 'local', area_code: '415', target: { kind: 'agent' } },
  ]);
  t.equal(list.relay_numbers.length, 1);
  await stopServer(first);

  const again = await startServer();
  t.notOk(
    again.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('created project')),
    'a restart prints no new token',
  );
  t.notOk(JSON.stringify(again.lines).includes(token), 'nor the old one');
  const api2 = `http://127.0.0.1:${again.port}`;
  t.same(
    JSON.parse(await curl(`curl -s ${api2}/api/whoami -H "Authorization: Bearer ${token}"`)),
    who,
    'the first token still works',
  );
  await stopServer(again);
});
