/** Builds the configured TTS provider (called by the composition root). */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { FliteProvider } from './flite-provider.js';
import { OpenAiSpeechProvider } from './openai-provider.js';
import { CachedTtsProvider } from './tts-cache.js';
import type { TtsProvider } from './tts.js';

export type { PcmChunk, SynthesisOptions, TtsProvider } from './tts.js';
export { TtsError, splitSentences } from './tts.js';

export function createTtsProvider(config: Config, logger?: Logger): TtsProvider {
  const tts = config.speech.tts;
  const engine: TtsProvider =
    tts.provider === 'openai'
      ? new OpenAiSpeechProvider({ ...tts.openai, logger })
      : new FliteProvider({ workers: tts.workers, voice: tts.voice, logger });
  return new CachedTtsProvider(engine, {
    memoryBytes: tts.cache.memoryBytes,
    diskDir: tts.cache.diskBytes > 0 ? join(config.dataDir, 'tts-cache') : undefined,
    diskBytes: tts.cache.diskBytes,
    logger,
  });
}
