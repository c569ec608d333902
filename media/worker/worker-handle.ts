/**
 * The main thread's view of one media worker: request/response over the MessagePort, event
 * routing to the handles that asked for them, and the load the worker last reported.
 */
import { workerExecArgv } from './exec-argv.js';
import { Worker } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { SdpNegotiationError } from '../types.js';
import type { FromWorker, OpName, Ops, TargetEvent, WorkerInit, WorkerObjectCounts } from './protocol.js';

export type TargetListener = (event: TargetEvent) => void;

export interface WorkerLoad {
  elu: number;
  lagMs: number;
  counts: WorkerObjectCounts;
}

export class WorkerHandle extends EventEmitter<{ exit: [Error] }> {
  readonly index: number;
  readonly init: WorkerInit;
  /** Sessions the main thread placed here (admission counts these, not the lagging report). */
  sessions = 0;
  portsInUse = 0;
  load: WorkerLoad = {
    elu: 0,
    lagMs: 0,
    counts: {
      sessions: 0,
      endpoints: 0,
      bridges: 0,
      echoes: 0,
      players: 0,
      recorders: 0,
      mixers: 0,
      portsInUse: 0,
      heapUsed: 0,
      activeResources: 0,
    },
  };
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly targets = new Map<string, TargetListener>();
  private dead = false;
  private isReady = false;
  private lastReport = { elu: 0, lagMs: 0 };
  private readonly readyWaiters: Array<() => void> = [];
  private stopping = false;

  constructor(init: WorkerInit) {
    super();
    this.index = init.index;
    this.init = init;
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init, execArgv: workerExecArgv() });
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) => this.die(err));
    this.worker.on('exit', (code) => this.die(new Error(`media worker ${this.index} exited with code ${code}`)));
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Alive and warmed up (a fresh thread spends a second or two loading code). */
  get serving(): boolean {
    return !this.dead && this.isReady;
  }

  /**
   * Resolves once the worker has loaded and warmed up and can serve calls right away ('online'
   * comes seconds earlier on a busy host, while the modules still load).
   */
  ready(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    if (this.dead) return Promise.reject(new Error(`media worker ${this.index} is gone`));
    return new Promise((resolve, reject) => {
      this.readyWaiters.push(resolve);
      this.once('exit', reject);
    });
  }

  request<K extends OpName>(op: K, args: Ops[K][0]): Promise<Ops[K][1]> {
    if (this.dead) return Promise.reject(new Error(`media worker ${this.index} is gone`));
    const id = this.nextId++;
    return new Promise<Ops[K][1]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ kind: 'req', id, op, args });
    });
  }

  subscribe(target: string, listener: TargetListener): void {
    this.targets.set(target, listener);
  }

  unsubscribe(target: string): void {
    this.targets.delete(target);
  }

  async terminate(): Promise<void> {
    this.stopping = true;
    if (this.dead) return;
    await this.worker.terminate();
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'res') {
      const p = this.pending.get(m.id);
      this.portsInUse = m.portsInUse;
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else {
        // Keep the error class the callers test for (SDP failures map to 488 on the SIP side).
        const err =
          m.error.name === 'SdpNegotiationError' ? new SdpNegotiationError(m.error.message) : new Error(m.error.message);
        if (!(err instanceof SdpNegotiationError)) err.name = m.error.name;
        p.reject(err);
      }
    } else if (m.kind === 'event') {
      this.targets.get(m.target)?.(m.event);
    } else if (m.kind === 'ready') {
      this.isReady = true;
      for (const w of this.readyWaiters.splice(0)) w();
    } else if (m.kind === 'load') {
      // The lesser of the last two reports: a saturated worker's backlog shows in every report,
      // while one stall (a first-use compile, a GC, the host briefly busy) shows in one only.
      this.load = {
        elu: Math.min(m.elu, this.lastReport.elu),
        lagMs: Math.min(m.lagMs, this.lastReport.lagMs),
        counts: m.counts,
      };
      this.lastReport = { elu: m.elu, lagMs: m.lagMs };
      this.portsInUse = m.counts.portsInUse;
    }
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    const listeners = [...this.targets.values()];
    this.targets.clear();
    if (!this.stopping) for (const l of listeners) l({ name: 'failed', args: ['media worker died'] });
    for (const l of listeners) l({ name: 'closed', args: [] });
    this.portsInUse = 0;
    this.sessions = 0;
    if (!this.stopping) this.emit('exit', err);
  }
}
