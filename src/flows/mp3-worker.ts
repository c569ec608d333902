/**
 * Worker thread that decodes one MP3 (mpg123 compiled to WebAssembly, from npm) for PLAY: a
 * 5-minute stereo file takes seconds of CPU, which must not stall the calls on the main thread.
 * The audio is mixed down to mono and resampled to at most 16 kHz (no telephone codec but Opus
 * carries more; the player resamples to the leg's codec when it plays the file).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MPEGDecoder } from 'mpg123-decoder';
import { Resampler } from '../../media/codecs/resampler.js';
import { encodeWav } from '../speech/wav.js';

export interface Mp3Job {
  mp3: Uint8Array;
  /** Highest rate of the decoded audio, Hz. */
  maxRate: number;
  /** Decoded audio beyond this is cut off (a small file at a low bitrate can hold hours). */
  maxSeconds: number;
}

export type Mp3Result =
  | { ok: true; wav: Uint8Array; sampleRate: number; seconds: number; truncated: boolean }
  | { ok: false; error: string };

/** Input fed to the decoder per step, so the duration cap is checked as the audio grows. */
const FEED_BYTES = 16 * 1024;

function toMono(channels: Float32Array[], n: number): Int16Array {
  const out = new Int16Array(n);
  const k = channels.length;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += channels[c]![i]!;
    const v = Math.round((sum / k) * 32767);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

async function decode(job: Mp3Job): Promise<Mp3Result> {
  const decoder = new MPEGDecoder();
  await decoder.ready;
  try {
    const parts: Int16Array[] = [];
    let total = 0;
    let resampler: Resampler | undefined;
    let limit = Number.POSITIVE_INFINITY;
    let truncated = false;
    let lastError = '';
    for (let off = 0; off < job.mp3.length && !truncated; off += FEED_BYTES) {
      const r = decoder.decode(job.mp3.subarray(off, off + FEED_BYTES));
      if (r.errors.length > 0) lastError = r.errors[r.errors.length - 1]!.message;
      if (r.samplesDecoded === 0) continue;
      if (!resampler) {
        resampler = new Resampler(r.sampleRate, Math.min(r.sampleRate, job.maxRate));
        limit = Math.round(job.maxSeconds * resampler.toRate);
      } else if (r.sampleRate !== resampler.fromRate) {
        // A file that changes rate midway is not worth a second resampler: keep what came first.
        truncated = true;
        break;
      }
      let pcm = resampler.process(toMono(r.channelData, r.samplesDecoded));
      if (total + pcm.length > limit) {
        pcm = pcm.subarray(0, limit - total);
        truncated = true;
      }
      parts.push(pcm);
      total += pcm.length;
    }
    if (!resampler || total === 0) return { ok: false, error: `no MPEG audio frames${lastError ? ` (${lastError})` : ''}` };
    const samples = new Int16Array(total);
    let at = 0;
    for (const p of parts) {
      samples.set(p, at);
      at += p.length;
    }
    // Encoded here too: 10 minutes of audio is millions of samples to write.
    const wav = encodeWav(samples, resampler.toRate);
    return { ok: true, wav, sampleRate: resampler.toRate, seconds: total / resampler.toRate, truncated };
  } finally {
    decoder.free();
  }
}

const port = parentPort;
if (port) {
  decode(workerData as Mp3Job).then(
    (result) => port.postMessage(result, result.ok ? [result.wav.buffer as ArrayBuffer] : []),
    (err: unknown) => port.postMessage({ ok: false, error: (err as Error).message ?? String(err) } satisfies Mp3Result),
  );
}
