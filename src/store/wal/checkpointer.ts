/**
 * WAL checkpoints off the event loop. By default SQLite checkpoints inside whichever commit pushes
 * the log past 1,000 pages: that commit then copies megabytes and syncs the file, on the main
 * thread, and a call being set up or an API read waits for the disk. Here one thread per process
 * checkpoints every SQLite file the store opened; the main connections only keep a far larger
 * limit (`FALLBACK_PAGES`) in case that thread falls behind or is gone.
 */
import { Worker } from 'node:worker_threads';

export type CheckpointerMessage = { kind: 'add' | 'remove'; file: string };

/** The main connection's own limit, should the checkpointer thread not keep up (~40 MB of log). */
export const FALLBACK_PAGES = 10_000;
const INTERVAL_MS = 500;

let worker: Worker | undefined;
const files = new Map<string, number>();

function thread(): Worker {
  if (!worker) {
    const w = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { intervalMs: INTERVAL_MS } });
    // A process with nothing else to do (the admin CLI, a finished test) must still exit.
    w.unref();
    w.on('error', () => undefined);
    w.once('exit', () => {
      if (worker === w) worker = undefined;
    });
    worker = w;
  }
  return worker;
}

/** Checkpoints `file` from the checkpointer thread until `release` is called (one per open). */
export function checkpointInBackground(file: string): () => void {
  const n = files.get(file) ?? 0;
  files.set(file, n + 1);
  if (n === 0) thread().postMessage({ kind: 'add', file } satisfies CheckpointerMessage);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (files.get(file) ?? 1) - 1;
    if (left > 0) {
      files.set(file, left);
      return;
    }
    files.delete(file);
    // The thread stays (idle, unref'd): stores are opened and closed often (tests, the admin CLI).
    worker?.postMessage({ kind: 'remove', file } satisfies CheckpointerMessage);
  };
}
