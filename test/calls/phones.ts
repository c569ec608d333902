/**
 * Shared pieces of the call tests: tone WAVs made with sox, baresip phones registered at the
 * platform's registrar, and what a phone heard, measured per time window.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Baresip } from '../helpers/baresip.js';
import type { Call } from '../../src/calls/call.js';
import type { TeardownHost, TestPlatform } from '../helpers/platform.js';
import { readWav } from '../../media/wav.js';
import { encodeWav } from '../../src/speech/wav.js';
import { peakFrequency, rms, toneAmplitude } from '../media/unit/spectrum.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits (at most `timeoutMs`) until `check` holds: releases run asynchronously after a call
 * ends, and a loaded machine may take longer than any fixed sleep. The assertion that follows
 * still fails if it never holds.
 */
export async function settled(check: () => boolean, timeoutMs = 10000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check() && Date.now() < until) await sleep(25);
}

/**
 * Seconds of audio a phone has decoded so far (its sndfile `dec` dumps grow as frames are played:
 * 16-bit mono, the rate in the WAV header). Only audio that arrived counts.
 */
export function heardSeconds(phone: Baresip): number {
  return dumpedSeconds(phone.recordings('dec'));
}

/**
 * Seconds of audio a phone has encoded and sent so far (its `enc` dumps): what an echo can give
 * back at most. A starved phone sends less than wall-clock time, so compare echoes with this.
 */
export function sentSeconds(phone: Baresip): number {
  return dumpedSeconds(phone.recordings('enc'));
}

function dumpedSeconds(files: string[]): number {
  let seconds = 0;
  for (const f of files) {
    try {
      const head = Buffer.alloc(44);
      const fd = openSync(f, 'r');
      try {
        readSync(fd, head, 0, 44, 0);
      } finally {
        closeSync(fd);
      }
      const rate = head.readUInt32LE(24);
      if (rate > 0) seconds += Math.max(0, statSync(f).size - 44) / (rate * 2);
    } catch {
      // the dump is being created
    }
  }
  return seconds;
}

/**
 * Waits until each phone has heard at least `seconds` of audio in total (see `heardSeconds`): how
 * long audio has to flow, measured in audio rather than in wall-clock time, which a loaded machine
 * stretches. Returns after `timeoutMs` regardless; the assertions on what was heard then fail.
 */
export async function untilHeard(
  phones: Baresip | Baresip[],
  seconds: number,
  timeoutMs = seconds * 1000 + 15000,
): Promise<void> {
  const list = Array.isArray(phones) ? phones : [phones];
  await settled(() => list.every((p) => heardSeconds(p) >= seconds), timeoutMs);
}

/** A temp dir removed on teardown. */
export function tempDir(t: TeardownHost, prefix: string): string {
  // sb-: the suite's temp dirs are recognisable, so a leftover one can be found after a run
  const dir = mkdtempSync(join(tmpdir(), prefix.startsWith('sb-') ? prefix : `sb-${prefix}`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A 48 kHz mono 16-bit WAV of a sine at `hz`, 0.3 of full scale (what baresip's aufile plays as the
 * microphone). Written here rather than by sox: a synchronous sox child took ~0.4 s per file, 11 s
 * in all for one file on a loaded machine, with the event loop (and the in-process platform's SIP
 * side) blocked meanwhile.
 */
export function toneWav(dir: string, hz: number, seconds = 30): string {
  const path = join(dir, `tone-${hz}.wav`);
  if (!existsSync(path)) writeFileSync(path, toneWavBytes(hz, seconds));
  return path;
}

const toneWavs = new Map<string, Buffer>();

function toneWavBytes(hz: number, seconds: number): Buffer {
  const key = `${hz}/${seconds}`;
  let bytes = toneWavs.get(key);
  if (!bytes) {
    const rate = 48000;
    const samples = new Int16Array(rate * seconds);
    const amplitude = 0.3 * 32767;
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
    bytes = encodeWav(samples, rate);
    toneWavs.set(key, bytes);
  }
  return bytes;
}

export interface PhoneOptions {
  codecs: ('PCMU' | 'PCMA' | 'opus')[];
  /** The WAV the phone plays into the call. */
  wav: string;
  autoAnswer?: boolean;
}

/** A baresip phone registered as `user` at the platform; stopped on teardown. */
export async function registeredPhone(t: TeardownHost, tp: TestPlatform, user: string, opts: PhoneOptions): Promise<Baresip> {
  const phone = await Baresip.start({
    user,
    password: tp.password(user),
    registrar: { host: tp.sip.host, port: tp.sip.port },
    codecs: opts.codecs,
    playWav: opts.wav,
    autoAnswer: opts.autoAnswer,
    verbose: process.env.SB_TEST_BARESIP === '1',
  });
  t.teardown(() => phone.stop());
  // The registrar is the judge: REGISTER_OK may fire before ctrl_tcp is connected.
  const until = Date.now() + 30000;
  while (tp.platform.sip.registrar.lookup(user).length === 0) {
    if (Date.now() > until) throw new Error(`${user} did not register: ${phone.output.join('').slice(-2000)}`);
    await sleep(50);
  }
  return phone;
}

/** Dials `target` at the platform and resolves once the call is established at the phone. */
export async function dialAndWait(phone: Baresip, tp: TestPlatform, target: string, timeoutMs = 30000): Promise<void> {
  const established = phone.waitFor('CALL_ESTABLISHED', timeoutMs);
  await phone.dial(`sip:${target}@${tp.sip.host}:${tp.sip.port}`);
  await established;
}

/**
 * The call's state once the platform has its answer confirmed (or after `timeoutMs`). A phone
 * reports the call established as it sends its ACK, a moment before the platform has it.
 */
export async function answeredState(call: Call, timeoutMs = 10000): Promise<string> {
  if (call.state === 'setup') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        call.off('answered', done);
        call.off('ended', done);
        resolve();
      }
      call.once('answered', done);
      call.once('ended', done);
    });
  }
  return call.state;
}

export interface Heard {
  samples: Int16Array;
  rate: number;
}

/**
 * What the phone decoded from the call (sndfile's `dec` dumps, in time order: baresip starts a new
 * file when a re-INVITE restarts the stream); empty when nothing was written.
 */
export function heard(phone: Baresip): Heard {
  const files = phone.recordings('dec').sort();
  if (files.length === 0) return { samples: new Int16Array(0), rate: 8000 };
  const wavs = files.map((f) => readWav(f));
  const rate = wavs[0]!.sampleRate;
  if (wavs.some((w) => w.sampleRate !== rate)) throw new Error(`dumps at different rates: ${files.join(', ')}`);
  const parts = wavs.map((w) => w.samples[0] ?? new Int16Array(0));
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    samples.set(p, off);
    off += p.length;
  }
  return { samples, rate };
}

/** The strongest frequency (100 Hz..3.5 kHz) in `[fromS, toS)` seconds of what a phone heard. */
export function peakHz(h: Heard, fromS: number, toS: number): number {
  const part = h.samples.subarray(Math.floor(fromS * h.rate), Math.floor(toS * h.rate));
  if (part.length < h.rate / 10) return 0;
  return peakFrequency(part, h.rate, 100, 3500, 10);
}

/** Amplitude of `hz` in each `windowMs` window: shows when a tone was present. */
export function toneTrack(h: Heard, hz: number, windowMs = 100): number[] {
  const n = Math.floor((h.rate * windowMs) / 1000);
  const out: number[] = [];
  for (let i = 0; i + n <= h.samples.length; i += n) out.push(toneAmplitude(h.samples.subarray(i, i + n), h.rate, hz));
  return out;
}

/** RMS of each `windowMs` window. */
export function levelTrack(h: Heard, windowMs = 100): number[] {
  const n = Math.floor((h.rate * windowMs) / 1000);
  const out: number[] = [];
  for (let i = 0; i + n <= h.samples.length; i += n) out.push(rms(h.samples.subarray(i, i + n)));
  return out;
}

/** Seconds of audio in which `hz` stands out above `minAmplitude`. */
export function toneSeconds(h: Heard, hz: number, minAmplitude = 1000, windowMs = 100): number {
  return (toneTrack(h, hz, windowMs).filter((a) => a >= minAmplitude).length * windowMs) / 1000;
}
