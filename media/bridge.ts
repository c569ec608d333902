/**
 * Joins two ports. Same codec on both legs: packets are forwarded as they arrive, re-timestamped
 * by the receiving port, never decoded. Different codecs: each frame is decoded on arrival,
 * resampled when the rates differ, encoded and sent at once (no frame clock on this path). An
 * Opus leg facing a narrowband leg runs its codec at 8 kHz so nothing needs resampling.
 * DTMF heard on one leg is sent to the other as RFC 4733 events (or tones).
 */
import type { AudioFrame, DtmfEvent, MediaPort, RtpPacketInfo } from './types.js';
import { Resampler } from './codecs/index.js';

/** Ports that can switch their Opus codec between 48 and 8 kHz (RTP and WebRTC endpoints). */
interface RateSwitchable {
  setPcmRate(rate: 48000 | 8000): void;
}

function canSwitchRate(p: MediaPort): p is MediaPort & RateSwitchable {
  return typeof (p as Partial<RateSwitchable>).setPcmRate === 'function';
}

export type BridgeMode = 'passthrough' | 'transcode' | 'idle';

function narrowband(p: MediaPort): boolean {
  return p.codec?.name === 'PCMU' || p.codec?.name === 'PCMA';
}

class Direction {
  private resampler: Resampler | undefined;
  readonly onRtp = (p: RtpPacketInfo): void => this.to.sendRtp(p);
  readonly onAudio = (f: AudioFrame): void => {
    const rate = this.to.pcmRate;
    if (f.sampleRate === rate) {
      this.to.sendAudio(f);
      return;
    }
    if (!this.resampler || this.resampler.fromRate !== f.sampleRate || this.resampler.toRate !== rate) {
      this.resampler = new Resampler(f.sampleRate, rate);
    }
    this.to.sendAudio({ samples: this.resampler.process(f.samples), sampleRate: rate });
  };
  readonly onDtmf = (e: DtmfEvent): void => {
    // In-band digits already travel in the audio: relaying them too would press the key twice.
    if (e.source !== 'inband') this.to.sendDtmf(e.digit, e.durationMs);
  };

  constructor(
    readonly from: MediaPort,
    readonly to: MediaPort,
  ) {}

  attach(mode: BridgeMode): void {
    this.detach();
    if (mode === 'passthrough') this.from.on('rtp', this.onRtp);
    else if (mode === 'transcode') this.from.on('audio', this.onAudio);
    this.from.on('dtmf', this.onDtmf);
  }

  detach(): void {
    this.from.off('rtp', this.onRtp);
    this.from.off('audio', this.onAudio);
    this.from.off('dtmf', this.onDtmf);
  }
}

export class Bridge {
  readonly a: MediaPort;
  readonly b: MediaPort;
  private readonly ab: Direction;
  private readonly ba: Direction;
  private _mode: BridgeMode = 'idle';
  private closed = false;
  private readonly onClosed = (): void => this.close();

  constructor(a: MediaPort, b: MediaPort) {
    if (a === b) throw new RangeError('cannot bridge a port to itself');
    this.a = a;
    this.b = b;
    this.ab = new Direction(a, b);
    this.ba = new Direction(b, a);
    a.once('closed', this.onClosed);
    b.once('closed', this.onClosed);
    this.refresh();
  }

  get mode(): BridgeMode {
    return this._mode;
  }

  /** Re-evaluates pass-through vs transcoding, e.g. after a re-offer changed a leg's codec. */
  refresh(): void {
    if (this.closed) return;
    const ca = this.a.codec;
    const cb = this.b.codec;
    let mode: BridgeMode = 'idle';
    if (ca && cb) {
      mode = ca.name === cb.name && ca.clockRate === cb.clockRate ? 'passthrough' : 'transcode';
    }
    if (mode === 'transcode') {
      for (const [p, other] of [
        [this.a, this.b],
        [this.b, this.a],
      ] as const) {
        if (p.codec?.name === 'opus' && canSwitchRate(p)) p.setPcmRate(narrowband(other) ? 8000 : 48000);
      }
    }
    if (mode === this._mode) return;
    this._mode = mode;
    this.ab.attach(mode);
    this.ba.attach(mode);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ab.detach();
    this.ba.detach();
    this.a.off('closed', this.onClosed);
    this.b.off('closed', this.onClosed);
    for (const p of [this.a, this.b]) {
      if (!p.closed && p.codec?.name === 'opus' && canSwitchRate(p)) p.setPcmRate(48000);
    }
  }
}
