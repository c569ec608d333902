/**
 * Text-to-speech behind one small interface: text in, 16-bit mono PCM out, in chunks, so a
 * player can start on the first sentence while the next ones are still being made.
 */

export interface PcmChunk {
  /** Signed 16-bit mono samples. */
  samples: Int16Array;
  sampleRate: number;
}

export interface SynthesisOptions {
  /** Provider voice name; the provider's configured default when omitted. */
  voice?: string;
  /** BCP 47 tag; advisory (flite speaks English only), passed on by HTTP providers that use it. */
  language?: string;
  /** Abort synthesis (a caller hung up); the iterator then throws the abort reason. */
  signal?: AbortSignal;
}

export interface TtsProvider {
  /** Stable name used in cache keys (`flite`, `openai`). */
  readonly name: string;
  /** Engine settings that change the audio (model, endpoint, engine version): part of cache keys. */
  readonly cacheScope: string;
  /** The voice used when a request names none. */
  readonly defaultVoice: string;
  /** Yields audio sentence by sentence; rejects with TtsError for bad input or a failed engine. */
  synthesize(text: string, options?: SynthesisOptions): AsyncIterable<PcmChunk>;
  /** Starts what the first request would otherwise wait for (flite's workers); engines with nothing to start omit it. */
  warmUp?(): Promise<void>;
  close(): Promise<void>;
}

export type TtsErrorCode = 'bad-voice' | 'bad-text' | 'engine' | 'http' | 'closed';

export class TtsError extends Error {
  constructor(
    readonly code: TtsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TtsError';
  }
}

/** Longest text one synthesize() call accepts (a prompt, not a book). */
export const MAX_TEXT_LENGTH = 5000;
/** A run-on "sentence" is cut at a word boundary near this length, so the first audio still comes soon. */
export const MAX_SENTENCE_LENGTH = 300;

/**
 * Splits prompt text into sentences. Abbreviations are cheap to get wrong and harmless here:
 * a wrong split only adds a short pause, so the rule is simply terminal punctuation + space.
 */
export function splitSentences(text: string): string[] {
  const clean = text
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!clean) return [];
  const parts = clean.match(/[^.!?;]+(?:[.!?;]+|$)/g) ?? [clean];
  const out: string[] = [];
  for (const raw of parts) {
    let s = raw.trim();
    while (s.length > MAX_SENTENCE_LENGTH) {
      let cut = s.lastIndexOf(' ', MAX_SENTENCE_LENGTH);
      if (cut < MAX_SENTENCE_LENGTH / 2) cut = MAX_SENTENCE_LENGTH;
      out.push(s.slice(0, cut).trim());
      s = s.slice(cut).trim();
    }
    // Punctuation alone ("...") has nothing to say.
    if (/[\p{L}\p{N}]/u.test(s)) out.push(s);
  }
  return out;
}

export function checkText(text: string): void {
  if (typeof text !== 'string') throw new TtsError('bad-text', 'text must be a string');
  if (text.length > MAX_TEXT_LENGTH) throw new TtsError('bad-text', `text longer than ${MAX_TEXT_LENGTH} characters`);
}
