/**
 * Runs a store test on both dialects: a fresh SQLite file and a fresh database on a throwaway
 * PostgreSQL cluster (started once per file, on first use).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Store } from '../../src/store/index.js';
import { startPostgres, type PgCluster } from './postgres.js';

export interface StoreTarget {
  dialect: 'sqlite' | 'postgres';
  /** Options that open the same database again (restart). */
  options: { url?: string; dataDir: string };
  open(): Promise<Store>;
}

let cluster: Promise<PgCluster> | undefined;

/** `root` owns the cluster's lifetime (pass the file's top-level `t`). */
export function forEachDialect(root: Test, name: string, fn: (t: Test, target: StoreTarget) => Promise<void>): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    root.test(`${name} (${dialect})`, async (t) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'sb-store-'));
      t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
      let url: string | undefined;
      if (dialect === 'postgres') {
        cluster ??= startPostgres(root);
        url = await (await cluster).createDatabase();
      }
      const options = { url, dataDir };
      const opened: Store[] = [];
      t.teardown(async () => {
        for (const s of opened) await s.close();
      });
      await fn(t, {
        dialect,
        options,
        open: async () => {
          const s = await Store.open(options);
          opened.push(s);
          return s;
        },
      });
    });
  }
}
