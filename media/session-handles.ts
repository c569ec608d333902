/** Main-thread handles of a playback, a recording and a mixer running in a media worker. */
import { EventEmitter } from 'node:events';
import type { WorkerHandle } from './worker/worker-handle.js';
import type { Endpoint } from './endpoint-handle.js';

export class PlaybackHandle extends EventEmitter<{ ended: [{ reason: string }] }> {
  readonly id: string;
  private done = false;

  /** @internal */
  constructor(
    private readonly worker: WorkerHandle,
    id: string,
  ) {
    super();
    this.id = id;
    worker.subscribe(id, (e) => {
      if (e.name === 'ended') this.finish(e.args[0].reason);
      else if (e.name === 'closed') this.finish('stopped');
    });
  }

  get ended(): boolean {
    return this.done;
  }

  stop(): void {
    if (this.done) return;
    this.worker.request('stopPlay', { playbackId: this.id }).catch(() => this.finish('stopped'));
  }

  /** @internal */
  finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.worker.unsubscribe(this.id);
    this.emit('ended', { reason });
  }
}

export class RecordingHandle extends EventEmitter<{
  stopped: [{ path: string; durationMs: number }];
  /** The recorded ports were quiet for the `silenceMs` asked for (once). */
  silence: [{ atMs: number }];
}> {
  readonly id: string;
  readonly path: string;
  private result: { path: string; durationMs: number } | undefined;

  /** @internal */
  constructor(
    private readonly worker: WorkerHandle,
    id: string,
    path: string,
  ) {
    super();
    this.id = id;
    this.path = path;
    worker.subscribe(id, (e) => {
      if (e.name === 'recorded') this.finish(e.args[0]);
      else if (e.name === 'silence') this.emit('silence', e.args[0]);
      else if (e.name === 'closed') this.finish({ path, durationMs: 0 });
    });
  }

  /** Stops and closes the WAV file; resolves with what was written. */
  async stop(): Promise<{ path: string; durationMs: number }> {
    if (this.result) return this.result;
    try {
      this.finish(await this.worker.request('stopRecord', { recordingId: this.id }));
    } catch {
      this.finish({ path: this.path, durationMs: 0 });
    }
    return this.result ?? { path: this.path, durationMs: 0 };
  }

  private finish(r: { path: string; durationMs: number }): void {
    if (this.result) return;
    this.result = r;
    this.worker.unsubscribe(this.id);
    this.emit('stopped', r);
  }
}

export interface MixerHandleOptions {
  muted?: boolean;
  listenOnly?: boolean;
  /** Only this party hears the added one (coaching). */
  whisperTo?: Endpoint;
}

export class MixerHandle {
  readonly id: string;
  private closed = false;

  /** @internal */
  constructor(
    private readonly worker: WorkerHandle,
    id: string,
  ) {
    this.id = id;
  }

  add(ep: Endpoint, opts: MixerHandleOptions = {}): Promise<void> {
    return this.worker.request('mixerAdd', { mixerId: this.id, endpointId: ep.id, opts: toPartyOpts(opts) });
  }

  update(ep: Endpoint, opts: MixerHandleOptions): Promise<void> {
    return this.worker.request('mixerUpdate', { mixerId: this.id, endpointId: ep.id, opts: toPartyOpts(opts) });
  }

  remove(ep: Endpoint): Promise<void> {
    return this.worker.request('mixerRemove', { mixerId: this.id, endpointId: ep.id });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.request('mixerClose', { mixerId: this.id }).catch(() => undefined);
  }
}

function toPartyOpts(o: MixerHandleOptions): { muted?: boolean; listenOnly?: boolean; whisperTo?: string } {
  const out: { muted?: boolean; listenOnly?: boolean; whisperTo?: string } = {};
  if (o.muted !== undefined) out.muted = o.muted;
  if (o.listenOnly !== undefined) out.listenOnly = o.listenOnly;
  if (o.whisperTo) out.whisperTo = o.whisperTo.id;
  return out;
}
