/**
 * Worker thread that runs flite (WASI build) one sentence at a time. The compiled module comes
 * from the parent, so the 21 MB of WebAssembly is compiled once per process, not per worker.
 * Each job gets a fresh instance (a WASI command runs once); instantiation costs a few ms.
 */
import { openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeWav } from './wav.js';
import { type WasmModule, wasm } from './wasm.js';

export interface FliteJob {
  id: number;
  text: string;
  voice: string;
}

export type FliteResult =
  | { id: number; ok: true; samples: Int16Array; sampleRate: number; elapsedMs: number }
  | { id: number; ok: false; error: string };

// node:wasi warns that it is experimental on every first use; say so once in the docs instead of in every log.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});

// Flite writes its WAV to a file; `dir` (made and removed by the parent) is the only one it can see.
const { module, dir } = workerData as { module: WasmModule; dir: string };
const devNull = openSync('/dev/null', 'w');

async function run(job: FliteJob): Promise<FliteResult> {
  const started = performance.now();
  const wasi = new WASI({
    version: 'preview1',
    // argv goes straight to flite's main(): no shell, so the text cannot become an option or a command.
    args: ['flite', '-voice', job.voice, '-t', job.text, '-o', '/out/speech.wav'],
    env: {},
    preopens: { '/out': dir },
    returnOnExit: true,
    stdout: devNull,
    stderr: devNull,
  });
  const instance = await wasm.instantiate(module, wasi.getImportObject());
  const code = wasi.start(instance);
  const path = join(dir, 'speech.wav');
  try {
    if (code !== 0) return { id: job.id, ok: false, error: `flite exited with ${code}` };
    const pcm = decodeWav(readFileSync(path));
    return { id: job.id, ok: true, samples: pcm.samples, sampleRate: pcm.sampleRate, elapsedMs: performance.now() - started };
  } finally {
    rmSync(path, { force: true });
  }
}

parentPort?.on('message', (job: FliteJob) => {
  run(job).then(
    (result) => parentPort?.postMessage(result, result.ok ? [result.samples.buffer as ArrayBuffer] : []),
    (err: unknown) => parentPort?.postMessage({ id: job.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies FliteResult),
  );
});
