/**
 * Opens the database named by `database.url`: absent means the embedded SQLite file
 * `DATA_DIR/switchboard.db` (WAL), `postgres://` / `postgresql://` a PostgreSQL pool. The rest of
 * the store only sees a Kysely instance and which dialect it speaks.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { type CompiledQuery, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { DB } from './schema.js';
import { CachingSqliteDatabase } from './statement-cache.js';
import { ChangePoller } from './change-poller.js';
import { checkpointInBackground, FALLBACK_PAGES } from './wal/checkpointer.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<DB>;
  dialect: DialectName;
  /** Where it lives, without credentials, for logs. */
  location: string;
  close(): Promise<void>;
  /** Reads a compiled SELECT as arrays in column order, where the driver can (SQLite); else absent. */
  rawRows?: RawRows;
  /**
   * Changes whenever another connection (another process) commits a change to who a token is:
   * SQLite's `data_version` (any commit; this connection's own leave it as is), PostgreSQL's
   * `change_counters` row read by polling (undefined while no recent read vouches for it).
   */
  changeCounter?: () => number | undefined;
}

export type RawRows = (query: CompiledQuery) => Promise<unknown[][]>;

export interface DatabaseOptions {
  /** `postgres://…`, `sqlite:/path/file.db`, or absent for `<dataDir>/switchboard.db`. */
  url?: string;
  dataDir: string;
}

export function openDatabase(opts: DatabaseOptions): Database {
  const url = opts.url;
  if (url && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  const file = url?.startsWith('sqlite:') ? resolve(url.slice('sqlite:'.length)) : join(resolve(opts.dataDir), 'switchboard.db');
  if (url && !url.startsWith('sqlite:'))
    throw new Error(`database.url: unsupported scheme in "${url.split(':')[0]}:" (use postgres:// or sqlite:)`);
  return openSqlite(file);
}

function openSqlite(file: string): Database {
  mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  // The admin CLI and the server may write at once; wait for the lock instead of failing.
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('journal_mode = WAL');
  // Under WAL, NORMAL syncs at checkpoints only: a commit costs no fsync (a power cut may lose
  // the last commits, never consistency).
  sqlite.pragma('synchronous = NORMAL');
  // A call history of 100,000 rows is tens of MB: past SQLite's default 2 MB page cache every page
  // read is a read() system call. 64 MB of cache, and the file mapped so that misses cost none.
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('mmap_size = 268435456');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
  const release = checkpointInBackground(file);
  const cache = new CachingSqliteDatabase(sqlite);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: cache }) });
  // Through Kysely's single connection, so a read never runs inside another caller's open transaction.
  const rawRows: RawRows = (query) => db.connection().execute(async () => cache.rawAll(query.sql, query.parameters));
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  const changeCounter = () => dataVersion.get() as number;
  const close = async () => {
    release();
    await db.destroy();
  };
  return { db, dialect: 'sqlite', location: file, close, rawRows, changeCounter };
}

/** How often a PostgreSQL server reads the principals' change counter. */
export const PRINCIPALS_POLL_MS = 250;
/**
 * How long a read of it is trusted: the longest a token revoked by another process (the admin CLI,
 * another server) can still be served from a server's cache, whatever happens to the polling.
 */
export const PRINCIPALS_STALE_MS = 1000;

function openPostgres(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const u = new URL(url);
  const principals = new ChangePoller({
    query: async () => {
      const r = await db.selectFrom('change_counters').select('value').where('name', '=', 'principals').executeTakeFirstOrThrow();
      return Number(r.value);
    },
    intervalMs: PRINCIPALS_POLL_MS,
    staleMs: PRINCIPALS_STALE_MS,
  });
  const close = async () => {
    await principals.stop();
    await db.destroy();
  };
  return { db, dialect: 'postgres', location: `${u.host}${u.pathname}`, close, changeCounter: principals.read };
}
