/**
 * Flite figures: time to first audio for uncached 10-word sentences and CPU per sentence.
 * Run: `npm run build && node dist/test/speech/tts-bench.js` (not part of the test suite).
 */
import { FliteProvider, compileFlite } from '../../src/speech/flite-provider.js';

const SENTENCES = [
  'Thank you for calling, please hold for the next agent.',
  'Your account balance is twelve dollars and forty cents today.',
  'Press one for sales or press two for support now.',
  'We are closed for the holiday and will reopen Monday.',
  'Please leave your name and number after the tone sounds.',
  'All of our agents are busy helping other customers today.',
  'Your estimated wait time is less than three minutes now.',
  'To repeat these options please press the star key again.',
  'This call may be recorded for quality and training purposes.',
  'Goodbye and thank you for choosing our company this evening.',
];

async function main(): Promise<void> {
  let t = performance.now();
  await compileFlite();
  const compileMs = performance.now() - t;
  const voice = process.argv[2] ?? 'slt';
  const tts = new FliteProvider({ voice });
  t = performance.now();
  await tts.warmUp();
  const warmMs = performance.now() - t;
  const firsts: number[] = [];
  let audioSeconds = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (const s of SENTENCES) {
    const start = performance.now();
    let first = 0;
    for await (const c of tts.synthesize(s)) {
      if (!first) first = performance.now() - start;
      audioSeconds += c.samples.length / c.sampleRate;
    }
    firsts.push(first);
  }
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  await tts.close();
  firsts.sort((a, b) => a - b);
  const report = {
    voice,
    compileMs: Math.round(compileMs),
    warmUpMs: Math.round(warmMs),
    firstChunkMs: { min: Math.round(firsts[0]), median: Math.round(firsts[5]), max: Math.round(firsts[9]) },
    cpuMsPerSentence: Math.round((cpu.user + cpu.system) / 1000 / SENTENCES.length),
    wallMsPerSentence: Math.round(wall / SENTENCES.length),
    audioSecondsPerSentence: +(audioSeconds / SENTENCES.length).toFixed(2),
    realTimeFactor: +(wall / 1000 / audioSeconds).toFixed(3),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
