import t from 'tap';
import { configSchema } from '../../config/schema.js';
import { MAX_SENTENCE_LENGTH, splitSentences } from '../../src/speech/tts.js';

t.test('text is split where a listener would hear a sentence end', async (t) => {
  t.same(splitSentences('Hello, world. Welcome!  Are you there? Yes; good'), [
    'Hello, world.',
    'Welcome!',
    'Are you there?',
    'Yes;',
    'good',
  ]);
  t.same(splitSentences('  \n\t '), []);
  t.same(splitSentences('... !!'), [], 'punctuation alone says nothing');
  t.same(splitSentences('Line one\nline two.'), ['Line one line two.']);
  const long = splitSentences(`${'word '.repeat(200)}end.`);
  t.ok(long.length >= 3);
  t.ok(
    long.every((s) => s.length <= MAX_SENTENCE_LENGTH),
    'run-on text is cut near the sentence limit',
  );
  t.equal(long.join(' ').split(' ').length, 201, 'no word lost');
  t.same(
    splitSentences(`${'x'.repeat(700)}`).map((s) => s.length),
    [300, 300, 100],
    'a word longer than the limit is cut hard',
  );
});

t.test('speech.tts defaults', async (t) => {
  const c = configSchema.parse({});
  t.same(c.speech.tts, {
    provider: 'flite',
    voice: 'slt',
    workers: 1,
    warmUp: true,
    cache: { memoryBytes: 33554432, diskBytes: 268435456 },
    openai: {
      baseUrl: 'https://api.openai.com',
      model: 'tts-1',
      voice: 'alloy',
      responseFormat: 'wav',
      pcmSampleRate: 24000,
      timeoutMs: 15000,
    },
  });
  t.throws(() => configSchema.parse({ speech: { tts: { voice: 'nosuch' } } }));
});
