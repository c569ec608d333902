/**
 * The first audio of a long first sentence: flite returns a whole sentence at once and its time
 * grows with the sentence, so a caller would wait for all of it. The first sentence's opening
 * clause (up to a comma within its first words, else its first few words) is synthesized as a
 * chunk of its own: it is ready sooner and plays while the rest of the sentence is made. Only
 * whole words move, so nothing is cut; the silence flite puts around each chunk is shortened where
 * the two halves meet, so the sentence keeps its pace.
 */

/** Sentences shorter than this many words are quick enough whole. */
const MIN_WORDS_TO_SPLIT = 7;
/** The opening clause has at least this many words and at most `MAX_LEAD_WORDS`. */
const MIN_LEAD_WORDS = 3;
const MAX_LEAD_WORDS = 6;
/** Without a comma, the opening chunk is this many words. */
const PLAIN_LEAD_WORDS = 4;

/** `[lead, rest]` for a sentence worth splitting, else undefined. */
export function leadClause(sentence: string): [string, string] | undefined {
  const words = sentence.split(' ').filter(Boolean);
  if (words.length < MIN_WORDS_TO_SPLIT) return undefined;
  let cut = PLAIN_LEAD_WORDS;
  for (let i = MIN_LEAD_WORDS; i <= MAX_LEAD_WORDS; i++) {
    if (/[,:\u2013\u2014]$/.test(words[i - 1]!)) {
      cut = i;
      break;
    }
  }
  return [words.slice(0, cut).join(' '), words.slice(cut).join(' ')];
}

/** Below this a sample is silence (about -40 dBFS). */
const SILENCE = 330;

/** `samples` with its leading silence cut to at most `keepMs`. */
export function trimLeadingSilence(samples: Int16Array, rate: number, keepMs: number): Int16Array {
  let i = 0;
  while (i < samples.length && Math.abs(samples[i]!) < SILENCE) i++;
  const start = Math.max(0, i - Math.round((rate * keepMs) / 1000));
  return start > 0 && i < samples.length ? samples.subarray(start) : samples;
}

/** `samples` with its trailing silence cut to at most `keepMs`. */
export function trimTrailingSilence(samples: Int16Array, rate: number, keepMs: number): Int16Array {
  let i = samples.length;
  while (i > 0 && Math.abs(samples[i - 1]!) < SILENCE) i--;
  const end = Math.min(samples.length, i + Math.round((rate * keepMs) / 1000));
  return i > 0 && end < samples.length ? samples.subarray(0, end) : samples;
}
