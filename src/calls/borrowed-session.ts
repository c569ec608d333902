import type { EndpointKind, OpusPcmRate } from '../../media/types.js';
import type { MediaEndpoint, MediaMixer, MediaPlayback, MediaRecording, MediaSessionPort } from './ports.js';

/**
 * Another call's media session, lent to a call placed from it (a flow's DIAL): the dialed leg's
 * endpoint lives beside the caller's, so the two can be bridged in one worker, while the dialed
 * call keeps its own Call (status, record, webhooks). Closing the view closes only the endpoints
 * made through it; the owner's session stays up for the rest of its call.
 */
export class BorrowedSession implements MediaSessionPort {
  private readonly own = new Set<MediaEndpoint>();
  private closed = false;

  constructor(private readonly owner: MediaSessionPort) {}

  async createEndpoint(
    kind: EndpointKind,
    opts?: { withOffer?: boolean; maxPlaybackRate?: OpusPcmRate },
  ): Promise<MediaEndpoint> {
    if (this.closed) throw new Error('borrowed media session is closed');
    const ep = await this.owner.createEndpoint(kind, opts);
    if (this.closed) {
      await ep.close().catch(() => undefined);
      throw new Error('borrowed media session is closed');
    }
    this.own.add(ep);
    ep.once('closed', () => this.own.delete(ep));
    return ep;
  }

  bridge(a: MediaEndpoint, b: MediaEndpoint): Promise<void> {
    return this.owner.bridge(a, b);
  }
  unbridge(a: MediaEndpoint, b: MediaEndpoint): Promise<void> {
    return this.owner.unbridge(a, b);
  }
  echo(ep: MediaEndpoint): Promise<void> {
    return this.owner.echo(ep);
  }
  play(ep: MediaEndpoint, source: { file: string } | { tone: string }, opts?: { loop?: boolean }): Promise<MediaPlayback> {
    return this.owner.play(ep, source, opts);
  }
  record(path: string, eps: MediaEndpoint[], opts?: { sampleRate?: number }): Promise<MediaRecording> {
    return this.owner.record(path, eps, opts);
  }
  createMixer(opts?: { sampleRate?: number }): Promise<MediaMixer> {
    return this.owner.createMixer(opts);
  }

  /** Releases the endpoints made through this view (their ports); the owner's session is untouched. */
  async close(): Promise<void> {
    this.closed = true;
    const eps = [...this.own];
    this.own.clear();
    await Promise.all(eps.map((ep) => ep.close().catch(() => undefined)));
  }
}
