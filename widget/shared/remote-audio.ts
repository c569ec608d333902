/**
 * What a browser phone hears: the call's remote stream played in an <audio> element, and an
 * analyser on it so a page (and the tests) can tell which tone arrives, not only that packets do.
 *
 * The stream may still be empty when the call is answered. The server's 183 carries its answer
 * and the 200 follows as soon as the far end picks up (10 ms later against a fast carrier), while
 * the browser is still applying the 183's answer; sip.js adds the remote track only once that is
 * done. Web Audio refuses a stream without an audio track, so the analyser is connected when the
 * track arrives (sip.js announces it with an `addtrack` event on the stream).
 */
import type { SessionDescriptionHandler } from 'sip.js/lib/platform/web/index.js';

export class RemoteAudio {
  private ctx: AudioContext | undefined;
  private analyser: AnalyserNode | undefined;
  /** The stream being played: the same call's early media and answer share it, and play once. */
  private stream: MediaStream | undefined;

  /** Plays `sdh`'s remote stream in `el` (when given) and analyses it; once per stream. */
  play(sdh: SessionDescriptionHandler, el: HTMLAudioElement | null): void {
    const stream = sdh.remoteMediaStream;
    if (this.stream === stream) return;
    this.stream = stream;
    if (el) {
      el.srcObject = stream;
      el.play().catch(() => undefined);
    }
    this.ctx ??= new AudioContext();
    const analyser = this.ctx.createAnalyser();
    analyser.fftSize = 8192;
    this.analyser = analyser;
    const ctx = this.ctx;
    const connect = (): boolean => {
      if (stream.getAudioTracks().length === 0) return false;
      ctx.createMediaStreamSource(stream).connect(analyser);
      return true;
    };
    if (!connect()) {
      const onTrack = (): void => {
        if (this.stream === stream && connect()) stream.removeEventListener('addtrack', onTrack);
      };
      stream.addEventListener('addtrack', onTrack);
    }
  }

  /** Level (dB) of what we hear at each of `frequencies`, and the strongest frequency (Hz); 0 before any audio. */
  spectrum(frequencies: number[] = []): { levels: number[]; peakHz: number } {
    const a = this.analyser;
    if (!a || !this.ctx) return { levels: frequencies.map(() => -Infinity), peakHz: 0 };
    const bins = new Float32Array(a.frequencyBinCount);
    a.getFloatFrequencyData(bins);
    const hzPerBin = this.ctx.sampleRate / a.fftSize;
    // the strongest of the bins around the frequency: a tone after resampling may straddle two
    const level = (hz: number): number => {
      const i = Math.round(hz / hzPerBin);
      return Math.max(bins[i - 1] ?? -Infinity, bins[i] ?? -Infinity, bins[i + 1] ?? -Infinity);
    };
    let best = 1;
    for (let i = 2; i < bins.length; i++) if (bins[i]! > bins[best]!) best = i;
    return { levels: frequencies.map(level), peakHz: best * hzPerBin };
  }

  peakHz(): number {
    return this.spectrum().peakHz;
  }
}
