import { join } from 'node:path';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import type { CallHandler, HandlerContext } from './handler.js';

const MAX_RECORDING_MS = 60_000;

/** `*44`: a beep, then the caller is recorded until `#` (or a minute), then hears the recording. */
export class RecordPlaybackHandler implements CallHandler {
  private readonly stopped: Promise<'stopped'>;
  private resolveStopped!: (v: 'stopped') => void;

  constructor(private readonly ctx: HandlerContext) {
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
  }

  stop(): void {
    this.resolveStopped('stopped');
  }

  async run(): Promise<void> {
    const { call, caller, recordingsDir } = this.ctx;
    const leg = await caller.answer();
    if (!leg) return;
    const session = call.session;
    const ep = leg.endpoint;

    const prompt = await session.play(ep, { tone: 'beep' });
    await Promise.race([once(prompt, 'ended'), this.stopped]);
    if (call.isEnded()) return;

    const path = join(recordingsDir, `echo-test-${call.id}.wav`);
    // The caller's test recording is only for playing back: nothing of it is kept, whatever ends the call.
    try {
      const recording = await session.record(path, [ep], { sampleRate: 8000 });
      let onDtmf: ((e: { digit: string }) => void) | undefined;
      const hash = new Promise<'hash'>((resolve) => {
        onDtmf = (e) => {
          if (e.digit === '#') resolve('hash');
        };
        leg.on('dtmf', onDtmf);
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), MAX_RECORDING_MS);
      });
      const why = await Promise.race([hash, timeout, this.stopped]);
      clearTimeout(timer);
      if (onDtmf) leg.off('dtmf', onDtmf);
      const result = await recording.stop();
      call.logger.info({ why, ...result }, 'test recording finished');
      if (why === 'stopped' || call.isEnded()) return;

      const playback = await session.play(ep, { file: result.path });
      await Promise.race([once(playback, 'ended'), this.stopped]);
      if (!call.isEnded()) await call.hangup({ reason: 'test recording played' });
    } finally {
      await rm(path, { force: true }).catch(() => undefined);
    }
  }
}
