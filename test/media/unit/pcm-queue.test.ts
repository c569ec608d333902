/** The mixer's and recorder's input queue against a sender whose clock drifts from theirs. */
import t from 'tap';
import { PcmQueue } from '../../../media/pcm-queue.js';

for (const [label, senderPeriodMs] of [
  ['fast', 20 / 1.005],
  ['slow', 20 * 1.005],
] as const) {
  t.test(`a sender clock 0.5% ${label}: the queue's delay stays bounded over 10 minutes`, async (t) => {
    const maxFrames = 4;
    const q = new PcmQueue(8000, maxFrames);
    let counter = 0;
    let next = 0; // sender's next frame time
    let silentSamples = 0;
    let maxLength = 0;
    for (let tick = 0; tick < 30000; tick++) {
      const now = tick * 20;
      while (next <= now) {
        // Never zero, so any silence the queue pads in can be counted.
        const samples = new Int16Array(160);
        for (let i = 0; i < 160; i++) samples[i] = 1 + (counter++ % 30000);
        q.push({ samples, sampleRate: 8000 });
        next += senderPeriodMs;
      }
      maxLength = Math.max(maxLength, q.length);
      const out = q.take(160);
      for (const v of out) if (v === 0) silentSamples++;
    }
    t.ok(maxLength <= maxFrames * 160, `never more than ${maxFrames} frames queued (${maxLength} samples at most)`);
    const tenMinutes = 30000 * 160;
    if (label === 'fast') t.equal(silentSamples, 0, 'a fast sender never leaves the clock short');
    else
      t.ok(
        silentSamples <= tenMinutes * 0.006,
        `a slow sender costs only its 0.5% as silence (${((silentSamples / tenMinutes) * 100).toFixed(2)}%)`,
      );
  });
}
