/**
 * A throwaway PostgreSQL cluster for store tests: `initdb` in a temp dir, `pg_ctl start` on a free
 * loopback port (run as the `postgres` user when we are root: initdb refuses root), trust auth,
 * fsync off. Stopped and deleted on teardown. One cluster per test file; one database per test.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TeardownHost } from './platform.js';

const run = promisify(execFile);

export interface PgCluster {
  port: number;
  /** A connection URL for `database` on this cluster. */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin/initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0])
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql (Debian package "postgresql"; .ci/run installs it)',
    );
  return join(root, versions[0], 'bin');
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function asOwner(cmd: string, args: string[], asPostgres: boolean): Promise<void> {
  if (asPostgres) await run('runuser', ['-u', 'postgres', '--', cmd, ...args], { timeout: 60000 });
  else await run(cmd, args, { timeout: 60000 });
}

export async function startPostgres(t: TeardownHost): Promise<PgCluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'sb-pg-'));
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  let started = false;
  t.teardown(async () => {
    if (started)
      await asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], asPostgres).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  await asOwner(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'],
    asPostgres,
  );
  let port = 0;
  for (let attempt = 0; attempt < 5 && !started; attempt++) {
    port = await freeTcpPort();
    try {
      await asOwner(
        join(bin, 'pg_ctl'),
        [
          '-D',
          data,
          '-w',
          '-t',
          '60',
          '-l',
          join(dir, 'server.log'),
          '-o',
          `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
          'start',
        ],
        asPostgres,
      );
      started = true;
    } catch (err) {
      if (attempt === 4) throw err;
    }
  }
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    async createDatabase() {
      const name = `sb_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
  };
}
