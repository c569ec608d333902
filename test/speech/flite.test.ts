import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import t from 'tap';
import { FliteProvider, compileFlite } from '../../src/speech/flite-provider.js';
import { runWasiCommand } from '../../src/speech/wasi-memory.js';
import { CachedTtsProvider } from '../../src/speech/tts-cache.js';
import { type PcmChunk, TtsError } from '../../src/speech/tts.js';
import { bandShare, concat, rms } from './audio.js';
import { decodeWav } from '../../src/speech/wav.js';
import { speechSeconds } from '../flows/heard-speech.js';

async function collect(it: AsyncIterable<PcmChunk>): Promise<PcmChunk[]> {
  const out: PcmChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

t.before(async () => {
  await compileFlite();
});

t.test('"Hello world" becomes speech-band PCM of a plausible length', async (t) => {
  const tts = new FliteProvider();
  t.teardown(() => tts.close());
  const chunks = await collect(tts.synthesize('Hello world.'));
  t.equal(chunks.length, 1);
  const { samples, sampleRate } = chunks[0];
  t.equal(sampleRate, 16000);
  const seconds = samples.length / sampleRate;
  t.ok(seconds > 0.5 && seconds < 2.5, `duration ${seconds.toFixed(2)} s`);
  t.ok(rms(samples) > 300, `rms ${rms(samples).toFixed(0)}`);
  const share = bandShare(samples, sampleRate, 100, 4000);
  t.ok(share > 0.7, `energy in 100-4000 Hz: ${(share * 100).toFixed(0)}%`);
  const kal = await collect(tts.synthesize('Hello world.', { voice: 'kal' }));
  t.equal(kal[0].sampleRate, 8000, 'kal speaks at 8 kHz');
});

t.test('the first sentence arrives before the whole text is synthesized', async (t) => {
  const tts = new FliteProvider();
  t.teardown(() => tts.close());
  await collect(tts.synthesize('Warm up.'));
  const text =
    'Thank you for calling the support line. All of our agents are busy helping other callers right now. Please stay on the line and we will answer as soon as we can.';
  const start = performance.now();
  let first = 0;
  const chunks: PcmChunk[] = [];
  for await (const c of tts.synthesize(text)) {
    if (!first) first = performance.now() - start;
    chunks.push(c);
  }
  const total = performance.now() - start;
  t.equal(chunks.length, 4, "one chunk per sentence, and the first sentence's opening clause on its own");
  t.ok(first < total * 0.6, `first chunk after ${first.toFixed(0)} ms of ${total.toFixed(0)} ms`);
  const audio = concat(chunks.map((c) => c.samples)).length / 16000;
  t.ok(audio > 5, `${audio.toFixed(1)} s of audio`);
  t.comment(`time to first chunk ${first.toFixed(0)} ms, total ${total.toFixed(0)} ms for ${audio.toFixed(1)} s of audio`);
});

t.test('a long first sentence: its opening clause comes first on its own, and no word is lost', async (t) => {
  const tts = new FliteProvider();
  t.teardown(() => tts.close());
  const text = 'Your code is five three nine one two eight, thank you.';
  const chunks = await collect(tts.synthesize(text));
  t.equal(chunks.length, 2, '"Your code is five" and the rest');
  const module = await compileFlite();
  const spoken = (words: string) =>
    decodeWav(runWasiCommand(module, ['flite', '-voice', 'slt', '-t', words, '-o', '/out/w.wav'], '/out').files.get('w.wav')!)
      .samples;
  const whole = { samples: spoken(text), rate: 16000 };
  const parts = chunks.map((c) => ({ samples: c.samples, rate: c.sampleRate }));
  // Only silence was taken off where the halves meet: each chunk is flite's own audio of its words.
  const lead = spoken('Your code is five');
  const rest = spoken('three nine one two eight, thank you.');
  const [first, second] = chunks.map((c) => c.samples) as [Int16Array, Int16Array];
  t.same(first, lead.subarray(0, first.length), 'the opening clause as flite spoke it, its end trimmed');
  t.same(second, rest.subarray(rest.length - second.length), 'the rest as flite spoke it, its start trimmed');
  t.ok(maxAbs(lead.subarray(first.length)) < 330, 'what was cut off the clause is silence');
  t.ok(maxAbs(rest.subarray(0, rest.length - second.length)) < 330, 'and what was cut off the rest');
  const joined = { samples: concat(parts.map((p) => p.samples)), rate: 16000 };
  const speech = speechSeconds(joined);
  const reference = speechSeconds(whole);
  t.ok(Math.abs(speech - reference) <= reference * 0.15, `as much speech as whole (${speech} s vs ${reference} s)`);
  // The join is a pause between words, not flite's ~0.4 s between two utterances.
  const gapMs = silentMs(parts[0]!, 'end') + silentMs(parts[1]!, 'start');
  t.ok(gapMs <= 250, `${gapMs.toFixed(0)} ms of silence where the halves meet`);
  t.ok(joined.samples.length <= whole.samples.length * 1.15, 'the sentence keeps its pace');
});

const maxAbs = (x: Int16Array): number => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Silence at one end of `p`, ms (below about -40 dBFS). */
function silentMs(p: { samples: Int16Array; rate: number }, end: 'start' | 'end'): number {
  let n = 0;
  const len = p.samples.length;
  while (n < len && Math.abs(p.samples[end === 'start' ? n : len - 1 - n]!) < 330) n++;
  return (n * 1000) / p.rate;
}

t.test('the main thread stays responsive while flite works', async (t) => {
  const tts = new FliteProvider();
  t.teardown(() => tts.close());
  await collect(tts.synthesize('Warm up.'));
  // Three long sentences: on the main thread each would block it for its whole synthesis time.
  const long =
    'When you hear the tone, please say your full name, the name of your company, the reason for your call and the best number to reach you at, and one of our agents will call you back within one business day';
  const text = `${long}. ${long.replace('tone', 'beep')}. ${long.replace('full', 'first')}.`;
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const start = performance.now();
  const chunks = await collect(tts.synthesize(text));
  const busy = performance.now() - start;
  h.disable();
  const perSentence = busy / 3;
  const maxMs = h.max / 1e6;
  t.equal(chunks.length, 4, "three sentences, the first one's opening clause on its own");
  t.ok(
    maxMs < perSentence / 2,
    `event-loop delay max ${maxMs.toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms while each sentence took ~${perSentence.toFixed(0)} ms to synthesize`,
  );
});

t.test('a cached prompt costs no synthesis, in memory and from disk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tts-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const flite = new FliteProvider();
  const cached = new CachedTtsProvider(flite, { memoryBytes: 1 << 20, diskDir: dir, diskBytes: 1 << 24 });
  t.teardown(() => cached.close());
  const text = 'Please hold. Your call is important to us.';
  const first = concat((await collect(cached.synthesize(text))).map((c) => c.samples));
  t.equal(flite.synthesized, 2, 'two sentences synthesized');
  const again = await collect(cached.synthesize(text));
  t.equal(flite.synthesized, 2, 'no synthesis on a memory hit');
  t.same(again[0].samples, first);
  t.equal(cached.stats.memoryHits, 1);
  t.equal(readdirSync(dir).filter((f) => f.endsWith('.wav')).length, 1, 'one WAV on disk');

  const flite2 = new FliteProvider();
  const restarted = new CachedTtsProvider(flite2, { memoryBytes: 1 << 20, diskDir: dir, diskBytes: 1 << 24 });
  t.teardown(() => restarted.close());
  const fromDisk = await collect(restarted.synthesize(text));
  t.equal(flite2.synthesized, 0, 'no synthesis on a disk hit');
  t.equal(restarted.stats.diskHits, 1);
  t.same(fromDisk[0].samples, first);
  await collect(restarted.synthesize(text, { voice: 'rms' }));
  t.equal(flite2.synthesized, 2, 'another voice is another prompt');
});

t.test('the memory cache stays within its byte budget', async (t) => {
  const flite = new FliteProvider();
  // Room for about one short prompt (16 kHz, ~1 s = 32 kB).
  const cached = new CachedTtsProvider(flite, { memoryBytes: 60000 });
  t.teardown(() => cached.close());
  await collect(cached.synthesize('Yes.'));
  await collect(cached.synthesize('No.'));
  await collect(cached.synthesize('Maybe.'));
  await collect(cached.synthesize('Yes.'));
  t.equal(flite.synthesized, 4, 'the oldest prompt was evicted and synthesized again');
});

t.test('bad input is refused with a clear error', async (t) => {
  const tts = new FliteProvider();
  t.teardown(() => tts.close());
  await t.rejects(collect(tts.synthesize('Hello.', { voice: 'nosuchvoice' })), {
    name: 'TtsError',
    code: 'bad-voice',
    message: /unknown flite voice "nosuchvoice" \(available: slt, rms, awb, kal16, kal\)/,
  });
  await t.rejects(collect(tts.synthesize('Hello.', { voice: '__proto__' })), TtsError);
  await t.rejects(collect(tts.synthesize('x'.repeat(6000))), { code: 'bad-text' });
  t.throws(() => new FliteProvider({ voice: 'bogus' }), { code: 'bad-voice' });
  t.same(await collect(tts.synthesize(' ... ')), [], 'nothing to say yields nothing');
  const dash = await collect(tts.synthesize('-voice kal -o /etc/passwd'));
  t.equal(dash[0].sampleRate, 16000, 'text that looks like options is spoken, not obeyed');
});

t.test('a consumer that stops early cancels the queued sentences; close rejects', async (t) => {
  const tts = new FliteProvider();
  const ac = new AbortController();
  let n = 0;
  await t.rejects(
    (async () => {
      for await (const _c of tts.synthesize('One. Two. Three. Four. Five. Six.', { signal: ac.signal })) {
        n++;
        ac.abort(new Error('hung up'));
      }
    })(),
    { message: 'hung up' },
  );
  t.equal(n, 1);
  t.ok(tts.synthesized <= 3, `${tts.synthesized} sentences synthesized of 6`);
  await tts.close();
  await t.rejects(collect(tts.synthesize('After close.')), { code: 'closed' });
});

t.test('flite sees one write-only virtual directory and nothing else', async (t) => {
  const module = await compileFlite();
  const ok = runWasiCommand(module, ['flite', '-voice', 'kal', '-t', 'Hi.', '-o', '/out/a.wav'], '/out');
  t.equal(ok.exitCode, 0);
  t.equal(Buffer.from(ok.files.get('a.wav') ?? []).toString('ascii', 0, 4), 'RIFF');
  for (const target of ['/etc/passwd', '/out/../etc/passwd', '/out/sub/a.wav', 'relative.wav']) {
    const r = runWasiCommand(module, ['flite', '-voice', 'kal', '-t', 'Hi.', '-o', target], '/out');
    t.equal(r.files.size, 0, `${target}: no file written`);
  }
});
