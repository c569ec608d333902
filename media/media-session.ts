/**
 * One call's media, on the main thread: the session and all its endpoints live in a single
 * worker, so bridging and recording never cross threads. Closing the session closes everything
 * it created, there and here.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { EndpointKind, SdpOptions } from './types.js';
import { Endpoint } from './endpoint-handle.js';
import { MixerHandle, PlaybackHandle, RecordingHandle } from './session-handles.js';
import { PcmPlaybackHandle } from './pcm-playback.js';
import type { WorkerHandle } from './worker/worker-handle.js';

export class MediaSession extends EventEmitter<{ closed: [] }> {
  readonly id: string;
  private readonly worker: WorkerHandle;
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly playbacks = new Set<PlaybackHandle>();
  private _closed = false;
  private readonly onRelease: (s: MediaSession) => void;

  /** @internal created by MediaServer.createSession */
  constructor(worker: WorkerHandle, id: string, onRelease: (s: MediaSession) => void) {
    super();
    this.worker = worker;
    this.id = id;
    this.onRelease = onRelease;
    worker.subscribe(id, (e) => {
      if (e.name === 'closed') this.markClosed();
    });
  }

  get closed(): boolean {
    return this._closed;
  }

  get endpointCount(): number {
    return this.endpoints.size;
  }

  /**
   * `withOffer`: the worker makes the endpoint's offer in the same round trip, and the endpoint's
   * first `createOffer()` (without codecs) answers it at once (an outbound leg's INVITE waits for it).
   */
  /** `withOffer`: make the first offer in the same round trip, with `maxPlaybackRate` (see SdpOptions). */
  async createEndpoint(kind: EndpointKind, opts?: { withOffer?: boolean } & SdpOptions): Promise<Endpoint> {
    this.assertOpen();
    const id = randomUUID();
    const ep = new Endpoint(this.worker, this.id, id, kind);
    this.endpoints.set(id, ep);
    ep.once('closed', () => this.endpoints.delete(id));
    try {
      const offer = await this.worker.request('createEndpoint', {
        sessionId: this.id,
        endpointId: id,
        kind,
        offer: opts?.withOffer,
        maxPlaybackRate: opts?.maxPlaybackRate,
      });
      if (offer !== undefined) ep.prefetchOffer(offer);
    } catch (err) {
      ep.markClosed();
      throw err;
    }
    return ep;
  }

  bridge(a: Endpoint, b: Endpoint): Promise<void> {
    this.assertMine(a);
    this.assertMine(b);
    return this.worker.request('bridge', { sessionId: this.id, a: a.id, b: b.id });
  }

  unbridge(a: Endpoint, b: Endpoint): Promise<void> {
    return this.worker.request('unbridge', { sessionId: this.id, a: a.id, b: b.id });
  }

  echo(ep: Endpoint): Promise<void> {
    this.assertMine(ep);
    return this.worker.request('echo', { sessionId: this.id, endpointId: ep.id });
  }

  async play(ep: Endpoint, source: { file: string } | { tone: string }, opts?: { loop?: boolean }): Promise<PlaybackHandle> {
    this.assertMine(ep);
    const id = randomUUID();
    const handle = new PlaybackHandle(this.worker, id);
    this.playbacks.add(handle);
    handle.once('ended', () => this.playbacks.delete(handle));
    try {
      await this.worker.request('play', {
        sessionId: this.id,
        playbackId: id,
        endpointId: ep.id,
        source,
        loop: opts?.loop ?? false,
      });
    } catch (err) {
      handle.finish('stopped');
      throw err;
    }
    return handle;
  }

  /** A playback of PCM written from this thread (`write()`, then `end()`); see PcmPlaybackHandle. */
  async playPcm(ep: Endpoint, opts: { sampleRate: number }): Promise<PcmPlaybackHandle> {
    this.assertMine(ep);
    if (!(opts.sampleRate >= 8000 && opts.sampleRate <= 48000))
      throw new RangeError(`invalid PCM sample rate ${opts.sampleRate}`);
    const id = randomUUID();
    const handle = new PcmPlaybackHandle(this.worker, id, opts.sampleRate);
    this.playbacks.add(handle);
    handle.once('ended', () => this.playbacks.delete(handle));
    try {
      await this.worker.request('playPcm', {
        sessionId: this.id,
        playbackId: id,
        endpointId: ep.id,
        sampleRate: opts.sampleRate,
      });
    } catch (err) {
      handle.finish('stopped');
      throw err;
    }
    return handle;
  }

  /**
   * `silenceMs`: the handle emits `silence` once every port has been quiet that long (a voice
   * activity check by frame energy in the worker); `onSilence` is subscribed before the recording starts.
   */
  async record(
    path: string,
    eps: Endpoint[],
    opts?: { sampleRate?: number; silenceMs?: number; onSilence?: () => void },
  ): Promise<RecordingHandle> {
    for (const ep of eps) this.assertMine(ep);
    const id = randomUUID();
    const handle = new RecordingHandle(this.worker, id, path);
    const onSilence = opts?.onSilence;
    if (onSilence) handle.once('silence', () => onSilence());
    try {
      await this.worker.request('record', {
        sessionId: this.id,
        recordingId: id,
        path,
        endpointIds: eps.map((e) => e.id),
        sampleRate: opts?.sampleRate ?? 8000,
        silenceMs: opts?.silenceMs,
      });
    } catch (err) {
      this.worker.unsubscribe(id);
      throw err;
    }
    return handle;
  }

  async createMixer(opts?: { sampleRate?: number }): Promise<MixerHandle> {
    this.assertOpen();
    const id = randomUUID();
    await this.worker.request('createMixer', { sessionId: this.id, mixerId: id, sampleRate: opts?.sampleRate });
    return new MixerHandle(this.worker, id);
  }

  async close(): Promise<void> {
    if (this._closed) return;
    await this.worker.request('closeSession', { sessionId: this.id }).catch(() => undefined);
    this.markClosed();
  }

  /** @internal */
  markClosed(): void {
    if (this._closed) return;
    this._closed = true;
    this.worker.unsubscribe(this.id);
    for (const ep of [...this.endpoints.values()]) ep.markClosed();
    for (const p of [...this.playbacks]) p.finish('stopped');
    this.onRelease(this);
    this.emit('closed');
    this.removeAllListeners();
  }

  private assertOpen(): void {
    if (this._closed) throw new Error(`media session ${this.id} is closed`);
  }

  private assertMine(ep: Endpoint): void {
    this.assertOpen();
    if (ep.sessionId !== this.id) throw new Error(`endpoint ${ep.id} belongs to another media session`);
  }
}
