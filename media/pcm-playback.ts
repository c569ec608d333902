/**
 * Main-thread handle of a playback fed with PCM from the main thread (speech synthesized there).
 * `write()` sends samples to the worker; it waits while more than `leadMs` of audio is ahead of
 * the playback clock, so a long prompt is not queued whole in the worker and a stop (barge-in)
 * throws little synthesized audio away.
 */
import type { WorkerHandle } from './worker/worker-handle.js';
import { PlaybackHandle } from './session-handles.js';

export class PcmPlaybackHandle extends PlaybackHandle {
  private sentMs = 0;
  private startedAt = 0;
  private ending = false;

  /** @internal */
  constructor(
    private readonly pcmWorker: WorkerHandle,
    id: string,
    readonly sampleRate: number,
    private readonly leadMs = 1000,
  ) {
    super(pcmWorker, id);
  }

  /** Queues samples (at `sampleRate`); resolves when more may be written. No-op once ended. */
  async write(samples: Int16Array): Promise<void> {
    if (this.ended || this.ending || samples.length === 0) return;
    if (this.startedAt === 0) this.startedAt = Date.now();
    // A copy: the message is transferred, the caller's array stays usable.
    const copy = samples.slice();
    await this.pcmWorker.request('pcmData', { playbackId: this.id, samples: copy }).catch(() => undefined);
    this.sentMs += (samples.length * 1000) / this.sampleRate;
    const ahead = this.sentMs - (Date.now() - this.startedAt);
    if (ahead > this.leadMs && !this.ended) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.off('ended', done);
          resolve();
        };
        const timer = setTimeout(done, ahead - this.leadMs);
        this.once('ended', done);
      });
    }
  }

  /** No more audio: the playback ends (`ended`, reason `finished`) once what was sent is played. */
  end(): void {
    if (this.ended || this.ending) return;
    this.ending = true;
    this.pcmWorker.request('pcmEnd', { playbackId: this.id }).catch(() => this.finish('stopped'));
  }
}
