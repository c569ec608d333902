/**
 * With `recording.enabled`, a call between two registered phones is written to
 * `DATA_DIR/recordings/<call id>.wav`: two channels, the caller's audio left and the callee's
 * right. DTMF pressed at a phone in the bridged call reaches that leg's `dtmf` event.
 */
import t from 'tap';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestPlatform } from '../helpers/platform.js';
import { readWav, type WavAudio } from '../../media/wav.js';
import type { DtmfEvent } from '../../media/types.js';
import { peakFrequency, toneAmplitude } from '../media/unit/spectrum.js';
import { dialAndWait, heard, peakHz, registeredPhone, settled, sleep, tempDir, toneWav, untilHeard } from './phones.js';

t.setTimeout(240000); // generous for a loaded machine; each wait inside has its own deadline

/** The recorder flushes about once a second and finishes the header on stop: wait for a whole file. */
async function finishedWav(path: string, minSeconds: number, timeoutMs = 20000): Promise<WavAudio> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const wav = readWav(path);
      if ((wav.samples[0]?.length ?? 0) >= wav.sampleRate * minSeconds) return wav;
    } catch {
      // not there yet, or the header is still being written
    }
    if (Date.now() > until) throw new Error(`${path}: no complete recording within ${timeoutMs} ms`);
    await sleep(100);
  }
}

// Transcoded, and same-codec (where the bridge could pass packets through but the recorder needs PCM).
for (const [callerCodec, calleeCodec] of [
  ['opus', 'PCMU'],
  ['PCMU', 'PCMU'],
] as const)
  t.test(
    `a recorded ${callerCodec} -> ${calleeCodec} call: caller left, callee right; DTMF from both phones reaches the legs`,
    async (t) => {
      const dir = tempDir(t, 'calls-recording-');
      const tp = await startTestPlatform(t, {
        users: ['alice', 'bob'],
        config: { recording: { enabled: true, sampleRate: 16000 } },
      });
      const alice = await registeredPhone(t, tp, 'alice', { codecs: [callerCodec], wav: toneWav(dir, 1000) });
      const bob = await registeredPhone(t, tp, 'bob', { codecs: [calleeCodec], wav: toneWav(dir, 600), autoAnswer: true });

      const nextCall = tp.nextCall();
      await dialAndWait(alice, tp, 'bob');
      const call = await nextCall;
      const digits: Record<string, string[]> = { caller: [], callee: [] };
      for (const leg of call.legs) leg.on('dtmf', (e: DtmfEvent) => digits[leg.role]!.push(e.digit));

      await untilHeard([alice, bob], 1.5);
      await alice.sendDtmf('5');
      await settled(() => digits.caller.length > 0);
      await bob.sendDtmf('9');
      await settled(() => digits.callee.length > 0);
      await untilHeard([alice, bob], 3.8);
      const ended = once(call, 'ended');
      await alice.hangup();
      await ended;
      t.same(digits.caller, ['5'], 'the 5 pressed at alice reached the caller leg');
      t.same(digits.callee, ['9'], 'the 9 pressed at bob reached the callee leg');

      const path = join(tp.dataDir, 'recordings', `${call.id}.wav`);
      t.ok(existsSync(path), `recording at recordings/${call.id}.wav`);
      const wav = await finishedWav(path, 2.5);
      t.equal(wav.channels, 2, 'two channels');
      t.equal(wav.sampleRate, 16000, 'at the configured sample rate');
      const seconds = wav.samples[0]!.length / wav.sampleRate;
      t.ok(seconds >= 3 && seconds <= 6, `covers the call (${seconds.toFixed(1)} s)`);
      // Analyse the middle of the call, past setup and before the hangup.
      const mid = (ch: number) => wav.samples[ch]!.subarray(wav.sampleRate * 0.5, wav.sampleRate * 1.5);
      const left = mid(0);
      const right = mid(1);
      t.equal(peakFrequency(left, wav.sampleRate, 100, 3500), 1000, 'left: the caller (alice, 1 kHz)');
      t.equal(peakFrequency(right, wav.sampleRate, 100, 3500), 600, 'right: the callee (bob, 600 Hz)');
      const leak = toneAmplitude(left, wav.sampleRate, 600) / toneAmplitude(left, wav.sampleRate, 1000);
      const leakR = toneAmplitude(right, wav.sampleRate, 1000) / toneAmplitude(right, wav.sampleRate, 600);
      t.ok(leak < 0.05 && leakR < 0.05, `each channel holds one party (cross-talk ${leak.toFixed(3)}, ${leakR.toFixed(3)})`);
      // Recording taps the call; the phones still hear each other.
      t.equal(peakHz(heard(bob), 0.5, 2), 1000, 'bob heard alice during the recorded call');
      t.equal(peakHz(heard(alice), 0.5, 2), 600, 'alice heard bob during the recorded call');
    },
  );

t.test('without recording.enabled no recording is written', async (t) => {
  const dir = tempDir(t, 'calls-recording-');
  const tp = await startTestPlatform(t, { users: ['carol', 'dave'] });
  const carol = await registeredPhone(t, tp, 'carol', { codecs: ['PCMU'], wav: toneWav(dir, 1000) });
  await registeredPhone(t, tp, 'dave', { codecs: ['PCMU'], wav: toneWav(dir, 600), autoAnswer: true });
  const nextCall = tp.nextCall();
  await dialAndWait(carol, tp, 'dave');
  const call = await nextCall;
  await untilHeard(carol, 1.5);
  const ended = once(call, 'ended');
  await carol.hangup();
  await ended;
  // the call's release is done once its ports are back (a recorder would have closed its file by then)
  await settled(() => tp.platform.media.stats().portsInUse === 0);
  t.notOk(existsSync(join(tp.dataDir, 'recordings', `${call.id}.wav`)), 'no file for the call');
  t.same(readdirSync(join(tp.dataDir, 'recordings')), [], 'the recordings folder is empty');
});
