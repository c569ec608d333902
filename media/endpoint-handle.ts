/**
 * Main-thread handle of an endpoint living in a media worker. Every method is a request to that
 * worker; `dtmf`, `failed` and `closed` come back as events.
 */
import { EventEmitter } from 'node:events';
import type { CodecName, DtmfEvent, EndpointKind, SdpOptions } from './types.js';
import type { WorkerHandle } from './worker/worker-handle.js';
import type { TargetEvent } from './worker/protocol.js';

export interface EndpointEvents {
  dtmf: [DtmfEvent];
  failed: [string];
  closed: [];
}

export class Endpoint extends EventEmitter<EndpointEvents> {
  readonly id: string;
  readonly kind: EndpointKind;
  /** @internal id of the owning session */
  readonly sessionId: string;
  private readonly worker: WorkerHandle;
  private _closed = false;
  /** Made with the endpoint (`MediaSession.createEndpoint`'s `withOffer`), for the first createOffer. */
  private offerReady: string | undefined;
  /** The codec this leg's SDP answer settled on (e.g. 'PCMU', 'opus'). */
  private audioCodec: string | undefined;

  /** @internal created by MediaSession.createEndpoint */
  constructor(worker: WorkerHandle, sessionId: string, id: string, kind: EndpointKind) {
    super();
    this.worker = worker;
    this.sessionId = sessionId;
    this.id = id;
    this.kind = kind;
    worker.subscribe(id, (e) => this.onEvent(e));
  }

  get closed(): boolean {
    return this._closed;
  }

  /**
   * Its SDP answer settled on G.711, which carries nothing above 4 kHz: the call layer asks for
   * narrowband Opus on a leg it bridges to this one.
   */
  get narrowband(): boolean {
    return this.audioCodec === 'PCMU' || this.audioCodec === 'PCMA';
  }

  /** `opts.maxPlaybackRate`: 8000 when this leg will be bridged to a narrowband one (see SdpOptions). */
  async answer(offerSdp: string, opts?: SdpOptions): Promise<string> {
    const answer = await this.worker.request('answer', { endpointId: this.id, sdp: offerSdp, ...opts });
    this.audioCodec = firstAudioCodec(answer);
    return answer;
  }

  /** @internal */
  prefetchOffer(sdp: string): void {
    this.offerReady = sdp;
  }

  createOffer(opts?: { codecs?: CodecName[] } & SdpOptions): Promise<string> {
    const ready = this.offerReady;
    this.offerReady = undefined;
    if (ready !== undefined && !opts?.codecs && !opts?.maxPlaybackRate) return Promise.resolve(ready);
    return this.worker.request('createOffer', { endpointId: this.id, ...opts });
  }

  async setRemoteAnswer(sdp: string): Promise<void> {
    await this.worker.request('setRemoteAnswer', { endpointId: this.id, sdp });
    this.audioCodec = firstAudioCodec(sdp);
  }

  sendDtmf(digit: string, durationMs = 100): Promise<void> {
    return this.worker.request('sendDtmf', { endpointId: this.id, digit, durationMs });
  }

  /** A digit learnt from signalling (SIP INFO): comes back as the same `dtmf` event. */
  injectDtmf(digit: string, durationMs: number): void {
    if (this._closed) return;
    this.worker
      .request('injectDtmf', { endpointId: this.id, event: { digit, durationMs, source: 'info' } })
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this._closed) return;
    await this.worker.request('closeEndpoint', { endpointId: this.id }).catch(() => undefined);
    this.markClosed();
  }

  /** @internal the session or the worker ended */
  markClosed(): void {
    if (this._closed) return;
    this._closed = true;
    this.worker.unsubscribe(this.id);
    this.emit('closed');
    this.removeAllListeners();
  }

  private onEvent(e: TargetEvent): void {
    if (this._closed) return;
    if (e.name === 'dtmf') this.emit('dtmf', e.args[0]);
    else if (e.name === 'failed') this.emit('failed', e.args[0]);
    else if (e.name === 'closed') this.markClosed();
  }
}

const STATIC_PT: Record<string, string> = { '0': 'PCMU', '8': 'PCMA' };

/** The first payload of the SDP's audio line, by name: the codec an answer settles on (RFC 3264 §6.1). */
export function firstAudioCodec(sdp: string): string | undefined {
  const pt = /^m=audio \d+ \S+ (\d+)/m.exec(sdp)?.[1];
  if (pt === undefined) return undefined;
  const name = new RegExp(`^a=rtpmap:${pt} ([^/\\s]+)`, 'm').exec(sdp)?.[1];
  if (name === undefined) return STATIC_PT[pt];
  const upper = name.toUpperCase();
  return upper === 'PCMU' || upper === 'PCMA' ? upper : name.toLowerCase();
}
