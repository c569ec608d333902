import { join } from 'node:path';
import { once } from 'node:events';
import type { CallContext } from './context.js';

const MAX_RECORDING_MS = 60_000;

/** `*44`: a beep, then the caller is recorded until `#` (or a minute), then hears the recording. */
export async function runRecordPlayback(ctx: CallContext): Promise<void> {
  const leg = await ctx.answerCaller();
  if (!leg) return;
  const { call } = ctx;
  const session = call.session;
  const ep = leg.endpoint;
  const ended = once(call, 'ended').then(() => 'ended' as const);

  const prompt = await session.play(ep, { tone: 'beep' });
  await Promise.race([once(prompt, 'ended'), ended]);
  if (call.isEnded()) return;

  const path = join(ctx.recordingsDir, `echo-test-${call.id}.wav`);
  const recording = await session.record(path, [ep], { sampleRate: 8000 });
  const hash = new Promise<'hash'>((resolve) => {
    const onDtmf = (e: { digit: string }) => {
      if (e.digit !== '#') return;
      leg.off('dtmf', onDtmf);
      resolve('hash');
    };
    leg.on('dtmf', onDtmf);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), MAX_RECORDING_MS); });
  const why = await Promise.race([hash, timeout, ended]);
  clearTimeout(timer);
  const result = await recording.stop();
  call.logger.info({ why, ...result }, 'test recording finished');
  if (why === 'ended' || call.isEnded()) return;

  const playback = await session.play(ep, { file: result.path });
  await Promise.race([once(playback, 'ended'), ended]);
  if (!call.isEnded()) await call.end('test recording played');
}
