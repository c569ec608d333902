/**
 * Conference mixer: N parties on one 20 ms clock, each hearing the sum of the others.
 * Everyone's audio is brought to a common rate, summed once, and each party is sent the total
 * minus its own contribution plus anything whispered to it, resampled to its port's rate.
 * - muted / listenOnly: hears the conference, is not heard (listenOnly is the monitoring role,
 *   muted the toggle a moderator flips; both silence the party's contribution).
 * - whisperTo: heard only by that one party (a coach talking to an agent).
 */
import type { AudioFrame, MediaPort } from './types.js';
import { Resampler } from './codecs/resampler.js';
import { PcmQueue } from './pcm-queue.js';
import { FrameClock } from './frame-clock.js';

export interface MixerPartyOptions {
  muted?: boolean;
  listenOnly?: boolean;
  whisperTo?: string;
}

const MAX_QUEUED_FRAMES = 4;

class MixerParty {
  opts: MixerPartyOptions;
  private readonly queue: PcmQueue;
  private outbound: Resampler | undefined;
  readonly onAudio = (frame: AudioFrame): void => this.push(frame);
  readonly onClosed: () => void;

  constructor(
    readonly port: MediaPort,
    opts: MixerPartyOptions,
    private readonly rate: number,
    onClosed: (id: string) => void,
  ) {
    this.opts = { ...opts };
    this.queue = new PcmQueue(rate, MAX_QUEUED_FRAMES);
    this.onClosed = () => onClosed(port.id);
  }

  get heard(): boolean {
    return !this.opts.muted && !this.opts.listenOnly;
  }

  private push(frame: AudioFrame): void {
    this.queue.push(frame);
  }

  /** This party's next frame at the mixing rate (silence if it sent nothing). */
  take(n: number): Int16Array {
    return this.queue.take(n);
  }

  send(mix: Float64Array): void {
    const rate = this.port.pcmRate;
    const pcm = new Int16Array(mix.length);
    for (let i = 0; i < mix.length; i++) {
      const v = Math.round(mix[i]);
      pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    if (!this.outbound || this.outbound.toRate !== rate) this.outbound = new Resampler(this.rate, rate);
    this.port.sendAudio({ samples: this.outbound.process(pcm), sampleRate: rate });
  }
}

export class Mixer {
  readonly sampleRate: number;
  private readonly parties = new Map<string, MixerParty>();
  private readonly clock = new FrameClock();
  private closed = false;

  constructor(opts?: { sampleRate?: number }) {
    this.sampleRate = opts?.sampleRate ?? 16000;
    if (!(this.sampleRate > 0) || this.sampleRate % 50 !== 0) throw new RangeError(`invalid mixer rate ${this.sampleRate}`);
  }

  get size(): number {
    return this.parties.size;
  }

  add(port: MediaPort, opts?: MixerPartyOptions): void {
    if (this.closed) throw new Error('Mixer is closed');
    if (port.closed) return;
    this.remove(port.id);
    const party = new MixerParty(port, opts ?? {}, this.sampleRate, (id) => this.remove(id));
    this.parties.set(port.id, party);
    port.on('audio', party.onAudio);
    port.once('closed', party.onClosed);
    if (!this.clock.running) this.clock.start(() => this.tick());
  }

  update(portId: string, opts: MixerPartyOptions): void {
    const party = this.parties.get(portId);
    if (party) party.opts = { ...opts };
  }

  remove(portId: string): void {
    const party = this.parties.get(portId);
    if (!party) return;
    this.parties.delete(portId);
    party.port.off('audio', party.onAudio);
    party.port.off('closed', party.onClosed);
    if (this.parties.size === 0) this.clock.stop();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.parties.keys()]) this.remove(id);
    this.clock.stop();
  }

  private tick(): void {
    const n = this.sampleRate / 50;
    const parties = [...this.parties.values()];
    const inputs = parties.map((p) => p.take(n));
    const total = new Float64Array(n);
    const whispers = new Map<string, Float64Array>();
    parties.forEach((p, i) => {
      if (!p.heard) return;
      const target = p.opts.whisperTo;
      let sum: Float64Array = total;
      if (target !== undefined) {
        sum = whispers.get(target) ?? new Float64Array(n);
        whispers.set(target, sum);
      }
      const x = inputs[i];
      for (let k = 0; k < n; k++) sum[k] += x[k];
    });
    parties.forEach((p, i) => {
      if (p.port.closed) return;
      const mix = Float64Array.from(total);
      if (p.heard && p.opts.whisperTo === undefined) {
        const own = inputs[i];
        for (let k = 0; k < n; k++) mix[k] -= own[k];
      }
      const w = whispers.get(p.port.id);
      if (w) for (let k = 0; k < n; k++) mix[k] += w[k];
      try {
        p.send(mix);
      } catch {
        this.remove(p.port.id);
      }
    });
  }
}
