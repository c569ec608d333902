/**
 * MP3 for PLAY: decoded once, on a worker thread of its own (spawned per file and ended with it:
 * files are cached, so decodes are rare and nothing long-lived needs closing), into 16-bit mono
 * PCM in a WAV the player can resample to any leg.
 */
import { Worker } from 'node:worker_threads';
import { workerExecArgv } from '../../media/worker/exec-argv.js';
import type { Mp3Job, Mp3Result } from './mp3-worker.js';

export interface Mp3DecodeOptions {
  maxSeconds: number;
  /** The worker is ended after this long (a hostile file must not burn a core for ever). */
  timeoutMs: number;
  /** Highest rate of the result; default 16 kHz. */
  maxRate?: number;
}

export interface DecodedMp3 {
  /** A 16-bit mono WAV file. */
  wav: Buffer;
  sampleRate: number;
  seconds: number;
  /** Cut at `maxSeconds`. */
  truncated: boolean;
}

export class Mp3DecodeError extends Error {
  override name = 'Mp3DecodeError';
}

/** True for a buffer that starts like an MP3: an ID3v2 tag or an MPEG audio frame sync. */
export function looksLikeMp3(b: Uint8Array): boolean {
  if (b.length >= 3 && b[0] === 0x49 && b[1] === 0x44 && b[2] === 0x33) return true; // "ID3"
  return b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0;
}

export async function decodeMp3(mp3: Uint8Array, opts: Mp3DecodeOptions): Promise<DecodedMp3> {
  const job: Mp3Job = { mp3, maxRate: opts.maxRate ?? 16000, maxSeconds: opts.maxSeconds };
  const worker = new Worker(new URL('./mp3-worker.js', import.meta.url), { workerData: job, execArgv: workerExecArgv() });
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await new Promise<Mp3Result>((resolve, reject) => {
      timer = setTimeout(() => reject(new Mp3DecodeError(`MP3 decoding took over ${opts.timeoutMs} ms`)), opts.timeoutMs);
      worker.once('message', resolve);
      worker.once('error', (err) => reject(new Mp3DecodeError(`MP3 decoder failed: ${err.message}`)));
      worker.once('exit', (code) => reject(new Mp3DecodeError(`MP3 decoder exited with ${code}`)));
    });
    if (!result.ok) throw new Mp3DecodeError(`not a decodable MP3: ${result.error}`);
    return {
      wav: Buffer.from(result.wav.buffer, result.wav.byteOffset, result.wav.byteLength),
      sampleRate: result.sampleRate,
      seconds: result.seconds,
      truncated: result.truncated,
    };
  } finally {
    clearTimeout(timer);
    // Also ends a worker still decoding after a timeout.
    await worker.terminate();
  }
}
