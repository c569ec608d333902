/**
 * What the call-flow engine needs from a live call, and nothing more: play audio (synthesized
 * PCM, a file, a tone) until it ends or is interrupted, the caller's key presses, hang up, and
 * the call's clock. `CallFlowPort` implements it over a real Call and its caller Leg; tests use fakes.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Call } from '../calls/call.js';
import type { Leg } from '../calls/leg.js';
import type { MediaEndpoint, MediaPlayback } from '../calls/ports.js';
import type { PcmChunk } from '../speech/tts.js';

export type FlowAudio = { pcm: AsyncIterable<PcmChunk> } | { file: string } | { tone: string };

/** How a playback ended: played out, or cut short (signal, barge-in, call ended). */
export type PlayResult = 'finished' | 'stopped';

/** A recording of what the caller says, in progress. */
export interface FlowRecording {
  /** Reported in `recordings[]` of later callbacks. */
  readonly id: string;
  /** Stops it and closes the file. */
  stop(): Promise<{ path: string; durationMs: number }>;
}

export interface FlowCallPort {
  /** Aborted when the call ends (any side). */
  readonly ended: AbortSignal;
  readonly logger: Logger;
  /** Resolves when the audio has played out or `signal` aborted it; never rejects for a gone call. */
  play(source: FlowAudio, opts?: { signal?: AbortSignal }): Promise<PlayResult>;
  /** Calls `listener` for every DTMF digit the caller sends (RFC 4733, SIP INFO, in-band); returns an unsubscribe. */
  onDigit(listener: (digit: string) => void): () => void;
  hangup(reason?: string): Promise<void>;
  /**
   * Starts recording the caller (RECORD). With `silenceMs`, `onSilence` is called once when the
   * caller has been quiet that long (frame energy, checked on the media worker).
   */
  record(opts?: { silenceMs?: number; onSilence?: () => void }): Promise<FlowRecording>;
  /** ms since the call was answered. */
  callTimeMs(): number;
  /** An application event to the caller as a SIP INFO (INFO); resolves once accepted. Absent in fakes. */
  sendInfo?(event: string, data: unknown): Promise<void>;
}

/** A playback fed from this thread (the real MediaSession has it; see media/pcm-playback.ts). */
interface PcmPlayback extends MediaPlayback {
  readonly ended: boolean;
  readonly sampleRate: number;
  write(samples: Int16Array): Promise<void>;
  end(): void;
}
interface PcmCapableSession {
  playPcm(ep: MediaEndpoint, opts: { sampleRate: number }): Promise<PcmPlayback>;
}

function canPlayPcm(session: unknown): session is PcmCapableSession {
  return typeof (session as { playPcm?: unknown }).playPcm === 'function';
}

function waitEnded(playback: MediaPlayback): Promise<string> {
  return once(playback, 'ended').then(([e]) => (e as { reason: string }).reason);
}

/** A FlowCallPort over an answered call's caller leg. */
export class CallFlowPort implements FlowCallPort {
  private readonly abort = new AbortController();
  readonly ended = this.abort.signal;
  readonly logger: Logger;

  /** @param recordingsDir where RECORD writes `flow-<id>.wav` */
  constructor(
    private readonly call: Call,
    private readonly leg: Leg,
    private readonly recordingsDir: string,
  ) {
    this.logger = call.logger;
    const end = (): void => this.abort.abort(new Error('call ended'));
    if (call.isEnded() || leg.ended) end();
    else {
      call.once('ending', end);
      leg.once('ended', end);
    }
  }

  callTimeMs(): number {
    return this.call.answeredAt === undefined ? 0 : Date.now() - this.call.answeredAt;
  }

  onDigit(listener: (digit: string) => void): () => void {
    const onDtmf = (e: { digit: string }): void => listener(e.digit);
    this.leg.on('dtmf', onDtmf);
    return () => this.leg.off('dtmf', onDtmf);
  }

  sendInfo(event: string, data: unknown): Promise<void> {
    return this.leg.sendInfo({ event, data });
  }

  async hangup(reason = 'call flow hung up'): Promise<void> {
    await this.call.hangup({ reason });
  }

  async record(opts: { silenceMs?: number; onSilence?: () => void } = {}): Promise<FlowRecording> {
    const id = randomUUID();
    const path = join(this.recordingsDir, `flow-${id}.wav`);
    const recording = await this.call.session.record(path, [this.leg.endpoint], {
      sampleRate: 8000,
      silenceMs: opts.silenceMs,
      onSilence: opts.onSilence,
    });
    return { id, stop: () => recording.stop() };
  }

  async play(source: FlowAudio, opts: { signal?: AbortSignal } = {}): Promise<PlayResult> {
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.ended]) : this.ended;
    if (signal.aborted) return 'stopped';
    try {
      if ('pcm' in source) return await this.playPcm(source.pcm, signal);
      const playback = await this.call.session.play(
        this.leg.endpoint,
        'file' in source ? { file: source.file } : { tone: source.tone },
      );
      const stop = (): void => playback.stop();
      signal.addEventListener('abort', stop, { once: true });
      try {
        return (await waitEnded(playback)) === 'finished' && !signal.aborted ? 'finished' : 'stopped';
      } finally {
        signal.removeEventListener('abort', stop);
      }
    } catch (err) {
      // A call that ended under the playback is not an error of the flow.
      if (signal.aborted) return 'stopped';
      throw err;
    }
  }

  private async playPcm(pcm: AsyncIterable<PcmChunk>, signal: AbortSignal): Promise<PlayResult> {
    const session = this.call.session;
    if (!canPlayPcm(session)) throw new Error('media session cannot play PCM from the main thread');
    let playback: PcmPlayback | undefined;
    let done: Promise<string> | undefined;
    const stop = (): void => playback?.stop();
    signal.addEventListener('abort', stop, { once: true });
    let complete = false;
    try {
      for await (const chunk of pcm) {
        if (signal.aborted) break;
        if (!playback) {
          playback = await session.playPcm(this.leg.endpoint, { sampleRate: chunk.sampleRate });
          done = waitEnded(playback);
          if (signal.aborted) playback.stop();
        } else if (chunk.sampleRate !== playback.sampleRate) {
          throw new Error(`PCM rate changed mid-prompt (${playback.sampleRate} -> ${chunk.sampleRate})`);
        }
        await playback.write(chunk.samples);
        if (playback.ended) break;
      }
      if (!playback || !done) return signal.aborted ? 'stopped' : 'finished';
      playback.end();
      complete = true;
      return (await done) === 'finished' && !signal.aborted ? 'finished' : 'stopped';
    } finally {
      signal.removeEventListener('abort', stop);
      // Synthesis failed or was abandoned: what was queued must not play on under the next action.
      if (playback && !playback.ended && (!complete || signal.aborted)) playback.stop();
    }
  }
}
