/**
 * The WAL checkpointer's thread: its own connection to each SQLite file it is given, copying the
 * write-ahead log back into the database (and syncing it) every `intervalMs`, so that no commit on
 * the main thread ever waits for that work. PASSIVE: it never blocks a reader or a writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type { CheckpointerMessage } from './checkpointer.js';

const { intervalMs } = workerData as { intervalMs: number };
const open = new Map<string, BetterSqlite3.Database>();

function checkpointAll(): void {
  for (const [file, db] of open) {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A file removed under us (a test's temp dir) or busy: the main connection's fallback covers it.
      db.close();
      open.delete(file);
    }
  }
}

parentPort!.on('message', (m: CheckpointerMessage) => {
  if (m.kind === 'add' && !open.has(m.file)) {
    try {
      const db = new BetterSqlite3(m.file, { fileMustExist: true });
      db.pragma('busy_timeout = 0');
      open.set(m.file, db);
    } catch {
      /* the main connection's fallback checkpoints this file */
    }
  } else if (m.kind === 'remove') {
    open.get(m.file)?.close();
    open.delete(m.file);
  }
});

setInterval(checkpointAll, intervalMs);
