/**
 * The media server as the rest of Switchboard sees it: a pool of worker threads holding the
 * calls' sockets and codecs, and admission control that refuses a call (MediaOverloadError ->
 * SIP 503) before a worker saturates, because past that point the kernel's UDP buffers hide the
 * overload until every call on the worker suffers.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { MediaSession } from './media-session.js';
import { WorkerHandle } from './worker/worker-handle.js';
import type { WorkerInit, WorkerObjectCounts } from './worker/protocol.js';

export class MediaOverloadError extends Error {
  override name = 'MediaOverloadError';
  /** Seconds a caller should wait before trying again (SIP Retry-After). */
  readonly retryAfter: number;
  constructor(message = 'media server at capacity', retryAfter = 5) {
    super(message);
    this.retryAfter = retryAfter;
  }
}

export interface MediaServerOptions {
  workers?: number;
  rtp: { address: string; advertisedAddress: string; portMin: number; portMax: number };
  maxCallsPerWorker?: number;
  jitterBufferMs?: number;
  webrtc?: Config['webrtc'];
  logger?: Logger;
  /** No RTP for this long from a sending peer -> the endpoint's `failed` event (default 30 s). */
  rtpTimeoutMs?: number;
  /**
   * Listen for DTMF tones in the audio of legs that did not negotiate telephone-event (default
   * true). It costs a decode of every packet on such legs, even when bridged without transcoding.
   */
  inbandDtmf?: boolean;
  /** A worker whose event loop is busier than this (0..1) in two load reports running admits no new calls (default 0.85). */
  maxWorkerUtilization?: number;
  /** A worker whose timers run later than this in two load reports running admits no new calls (default 80 ms). */
  maxWorkerLagMs?: number;
}

const DEFAULT_WEBRTC: Config['webrtc'] = { iceAddresses: [], includeLoopback: false, stunServers: [], turnServers: [] };

export interface WorkerHealth {
  index: number;
  state: 'ready' | 'starting' | 'unresponsive' | 'down';
  restarts: number;
}

export class MediaServer extends EventEmitter<{ 'worker-died': [Error] }> {
  private readonly opts: MediaServerOptions;
  private readonly log: Logger;
  private readonly workers: WorkerHandle[] = [];
  private readonly restarts = new Map<number, number>();
  private readonly sessions = new Map<string, { session: MediaSession; worker: WorkerHandle }>();
  private started = false;
  private closing = false;

  constructor(opts: MediaServerOptions) {
    super();
    this.opts = opts;
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const n = this.opts.workers && this.opts.workers > 0 ? this.opts.workers : availableParallelism();
    const { portMin, portMax } = this.opts.rtp;
    const span = Math.floor((portMax - portMin + 1) / n);
    if (span < 4) throw new RangeError(`RTP port range ${portMin}-${portMax} too small for ${n} workers`);
    const inits: WorkerInit[] = [];
    for (let i = 0; i < n; i++) {
      // Each worker allocates from its own slice, so two workers never hand out one port.
      const min = portMin + i * span;
      const max = i === n - 1 ? portMax : min + span - 1;
      // The top quarter of a worker's slice is for WebRTC ICE sockets, so that werift's port scan
      // and the RTP pair allocator never race for the same port and everything stays in the range.
      const iceMin = span >= 40 ? max - Math.floor((max - min + 1) / 4) + 1 : undefined;
      inits.push({
        index: i,
        rtp: { ...this.opts.rtp, portMin: min, portMax: iceMin !== undefined ? iceMin - 1 : max },
        icePortRange: iceMin !== undefined ? [iceMin, max] : undefined,
        jitterBufferMs: this.opts.jitterBufferMs ?? 60,
        rtpTimeoutMs: this.opts.rtpTimeoutMs ?? 30000,
        inbandDtmf: this.opts.inbandDtmf ?? true,
        webrtc: this.opts.webrtc ?? DEFAULT_WEBRTC,
        logLevel: this.log.level,
      });
    }
    await Promise.all(inits.map((init) => this.spawn(init)));
    this.log.info({ workers: n }, 'media server started');
  }

  async createSession(): Promise<MediaSession> {
    if (!this.started || this.closing) throw new Error('media server not running');
    const worker = this.pickWorker();
    if (!worker) throw new MediaOverloadError();
    const id = randomUUID();
    worker.sessions++;
    const session = new MediaSession(worker, id, () => this.release(id));
    this.sessions.set(id, { session, worker });
    // The worker makes a session synchronously, in message order, and can only fail to by dying:
    // whatever the session asks next (a call's first endpoint) queues behind its creation, so the
    // caller does not wait for the acknowledgement. Should the worker die meanwhile, the session's
    // next request fails as any request to a dead worker does.
    worker.request('createSession', { sessionId: id }).catch((err: unknown) => {
      this.log.warn({ err, sessionId: id }, 'media session not created');
      session.markClosed();
    });
    return session;
  }

  stats(): { workers: number; sessions: number; endpoints: number; portsInUse: number } {
    let endpoints = 0;
    for (const { session } of this.sessions.values()) endpoints += session.endpointCount;
    return {
      workers: this.workers.filter((w) => w.alive).length,
      sessions: this.sessions.size,
      endpoints,
      portsInUse: this.workers.reduce((a, w) => a + w.portsInUse, 0),
    };
  }

  /** Exact counts of what every worker holds (for lifecycle checks and monitoring). */
  async workerStats(opts?: { gc?: boolean }): Promise<WorkerObjectCounts[]> {
    return Promise.all(this.workers.filter((w) => w.alive).map((w) => w.request('stats', { gc: opts?.gc })));
  }

  /**
   * Whether each worker serves right now, for health checks: `down` (died, not replaced),
   * `starting` (a replacement still loading), `unresponsive` (no answer within `timeoutMs`: its
   * event loop is stuck) or `ready`. `restarts` counts replacements since start.
   */
  async workerHealth(timeoutMs = 1000): Promise<WorkerHealth[]> {
    return Promise.all(
      this.workers.map(async (w): Promise<WorkerHealth> => {
        const restarts = this.restarts.get(w.index) ?? 0;
        if (!w.alive) return { index: w.index, state: 'down', restarts };
        if (!w.serving) return { index: w.index, state: 'starting', restarts };
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'unresponsive'>((r) => {
          timer = setTimeout(() => r('unresponsive'), timeoutMs);
        });
        const answer = w.request('stats', {}).then(
          () => 'ready' as const,
          () => 'down' as const,
        );
        const state = await Promise.race([answer, timeout]);
        clearTimeout(timer);
        return { index: w.index, state, restarts };
      }),
    );
  }

  /** Last load report per worker: event-loop utilisation, timer lag and admitted sessions. */
  workerLoad(): { index: number; sessions: number; elu: number; lagMs: number }[] {
    return this.workers.map((w) => ({ index: w.index, sessions: w.sessions, elu: w.load.elu, lagMs: w.load.lagMs }));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.sessions.values()].map(({ session }) => session.close()));
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }

  private pickWorker(): WorkerHandle | undefined {
    const maxCalls = this.opts.maxCallsPerWorker ?? 120;
    const maxElu = this.opts.maxWorkerUtilization ?? 0.85;
    const maxLag = this.opts.maxWorkerLagMs ?? 80;
    let best: WorkerHandle | undefined;
    for (const w of this.workers) {
      if (!w.alive || w.sessions >= maxCalls) continue;
      if (w.load.elu > maxElu || w.load.lagMs > maxLag) continue;
      if (!best || w.sessions < best.sessions) best = w;
    }
    return best;
  }

  private release(id: string): void {
    const entry = this.sessions.get(id);
    if (!entry) return;
    this.sessions.delete(id);
    if (entry.worker.sessions > 0) entry.worker.sessions--;
  }

  private async spawn(init: WorkerInit): Promise<void> {
    const w = new WorkerHandle(init);
    const slot = this.workers.findIndex((x) => x.index === init.index);
    if (slot >= 0) this.workers[slot] = w;
    else this.workers.push(w);
    w.once('exit', (err) => {
      if (this.closing) return;
      this.log.error({ err, worker: init.index }, 'media worker died; its calls are lost, starting a new one');
      for (const [id, e] of this.sessions) if (e.worker === w) this.sessions.delete(id);
      this.restarts.set(init.index, (this.restarts.get(init.index) ?? 0) + 1);
      this.emit('worker-died', err);
      this.spawn(init).catch((e: unknown) => this.log.error({ err: e }, 'media worker restart failed'));
    });
    await w.ready();
  }
}
