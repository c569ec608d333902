/**
 * Voice activity by energy, for "end the recording after N ms of silence": each 20 ms frame is
 * loud when its RMS reaches the threshold; a loud frame restarts the count, and the detector
 * fires once when the quiet run reaches `silenceMs`. Frames a port did not send (the recorder pads
 * them with zeros) count as quiet, so a phone that stops sending RTP is silent too.
 */
export interface SilenceDetectorOptions {
  silenceMs: number;
  /** RMS (of 32768) at or above which a frame is voice; default 300 (about -41 dBFS). */
  thresholdRms?: number;
}

export const DEFAULT_SILENCE_RMS = 300;

export class SilenceDetector {
  private readonly threshold2: number;
  private quietMs = 0;
  private fired = false;

  constructor(private readonly opts: SilenceDetectorOptions) {
    if (!(opts.silenceMs > 0)) throw new RangeError(`invalid silence length ${opts.silenceMs}`);
    const t = opts.thresholdRms ?? DEFAULT_SILENCE_RMS;
    this.threshold2 = t * t;
  }

  /** Feeds one frame of `frameMs`; true exactly once, on the frame that completes the silence. */
  feed(frame: Int16Array, frameMs: number): boolean {
    if (this.fired) return false;
    let sum = 0;
    for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
    const loud = frame.length > 0 && sum / frame.length >= this.threshold2;
    this.quietMs = loud ? 0 : this.quietMs + frameMs;
    if (this.quietMs < this.opts.silenceMs) return false;
    this.fired = true;
    return true;
  }
}
