/**
 * Worker thread that runs flite (WASI build) one sentence at a time. The compiled module comes
 * from the parent, so the 21 MB of WebAssembly is compiled once per process, not per worker.
 * Each job gets a fresh instance (a WASI command runs once), made ahead while the worker is idle;
 * its WAV is written to memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeWav } from './wav.js';
import type { WasmModule } from './wasm.js';
import { type PreparedCommand, prepareWasiCommand } from './wasi-memory.js';

export interface FliteJob {
  id: number;
  text: string;
  voice: string;
}

export type FliteResult =
  | { id: number; ok: true; samples: Int16Array; sampleRate: number; elapsedMs: number }
  | { id: number; ok: false; error: string };

const { module } = workerData as { module: WasmModule };

/** The instance the next job runs on, made while this worker had nothing else to do. */
let spare: PreparedCommand | undefined;
const prepare = (): PreparedCommand => prepareWasiCommand(module, '/out');

function run(job: FliteJob): FliteResult {
  const started = performance.now();
  const command = spare ?? prepare();
  spare = undefined;
  // argv goes straight to flite's main(): no shell, so the text cannot become an option or a command.
  const out = command.run(['flite', '-voice', job.voice, '-t', job.text, '-o', '/out/speech.wav']);
  const wav = out.files.get('speech.wav');
  if (out.exitCode !== 0 || !wav) {
    return {
      id: job.id,
      ok: false,
      error: `flite exited with ${out.exitCode}${out.stderr ? `: ${out.stderr.trim().slice(0, 200)}` : ''}`,
    };
  }
  const pcm = decodeWav(wav);
  return { id: job.id, ok: true, samples: pcm.samples, sampleRate: pcm.sampleRate, elapsedMs: performance.now() - started };
}

parentPort?.on('message', (job: FliteJob) => {
  let result: FliteResult;
  try {
    result = run(job);
  } catch (err) {
    result = { id: job.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(result, result.ok ? [result.samples.buffer as ArrayBuffer] : []);
  // After the answer went out: the caller is not kept waiting for the next job's instance.
  setImmediate(prepareSpare);
});

function prepareSpare(): void {
  try {
    spare ??= prepare();
  } catch {
    // The next job instantiates for itself, and reports the error if there is one.
  }
}

// Ready for the first job from the start (the platform's warm-up speaks one word too).
setImmediate(prepareSpare);
