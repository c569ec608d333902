/**
 * Per-frame cost of each codec step on this machine, in microseconds of CPU per 20 ms frame.
 * Used by the media benchmark report; run directly to print the table.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../../media/codecs/g711.js';
import { createDecoder, createEncoder } from '../../media/codecs/index.js';
import { Resampler } from '../../media/codecs/resampler.js';
import type { CodecSpec } from '../../media/types.js';

const OPUS: CodecSpec = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };
/** Toward a receiver whose fmtp has useinbandfec=1 (every browser): the encoder adds in-band FEC. */
const OPUS_FEC: CodecSpec = { ...OPUS, params: { useinbandfec: 1 } };

/**
 * Speech-like test signal: a voiced fundamental with harmonics under a syllable-rate envelope,
 * plus a little noise (a pure tone is ~30 % cheaper to encode and would flatter the codec).
 */
export function speechLike(rate: number, frames: number): Int16Array[] {
  const n = rate / 50;
  const out: Int16Array[] = [];
  let seed = 1;
  for (let f = 0; f < frames; f++) {
    const x = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      const t = (f * n + i) / rate;
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const env = 0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t);
      x[i] = Math.round(
        env *
          (4000 * Math.sin(2 * Math.PI * 150 * t) +
            2500 * Math.sin(2 * Math.PI * 450 * t) +
            1200 * Math.sin(2 * Math.PI * 1350 * t)) +
          (seed / 0x7fffffff - 0.5) * 300,
      );
    }
    out.push(x);
  }
  return out;
}

/**
 * CPU time per call of `step`, µs: the least of five rounds. CPU time, not wall time, and the
 * least round, because on a shared machine other work stretches both the wall clock and (through
 * the caches and the hypervisor) the CPU time, while the work a frame needs stays what it is; one
 * long average moved the codec-bound limit by 30 % between runs on the session VM.
 */
function measure<T>(inputs: T[], step: (x: T) => unknown, roundMs = 120): number {
  for (let i = 0; i < Math.min(inputs.length, 50); i++) step(inputs[i]); // warm up the JIT
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let count = 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    while (performance.now() - start < roundMs) {
      for (let i = 0; i < inputs.length; i++) step(inputs[i]);
      count += inputs.length;
    }
    const cpu = process.cpuUsage(cpu0);
    best = Math.min(best, (cpu.user + cpu.system) / count);
  }
  return best;
}

/**
 * The codec work of one PCMU ⇄ Opus call per 20 ms (both directions: G.711 decode and encode, Opus
 * encode at 8 kHz, Opus decode of what the far end sends), measured quickly (about a second):
 * the media bench takes it again after every step, because this VM's speed drifts by a fifth within
 * minutes and a codec-bound limit measured once does not describe a step run later.
 */
export function callCodecCost(opts: { fec: boolean; wideband: boolean }): number {
  const nb = speechLike(8000, 50);
  const mu = nb.map(encodeMulaw);
  const enc = createEncoder(opts.fec ? OPUS_FEC : OPUS, { pcmRate: 8000 });
  const encode = measure(nb, (x) => enc.encode(x), 40);
  enc.close();
  const far = createEncoder(OPUS, { pcmRate: opts.wideband ? 48000 : 8000 });
  const packets = (opts.wideband ? speechLike(48000, 50) : nb).map((x) => far.encode(x));
  far.close();
  const dec = createDecoder(OPUS, { pcmRate: 8000 });
  const decode = measure(packets, (p) => dec.decode(p), 40);
  dec.close();
  return measure(nb, encodeMulaw, 20) + measure(mu, decodeMulaw, 20) + encode + decode;
}

export async function benchCodecs(): Promise<Record<string, number>> {
  const frames = 100;
  const nb = speechLike(8000, frames);
  const fb = speechLike(48000, frames);
  const mu = nb.map(encodeMulaw);
  const al = nb.map(encodeAlaw);
  const result: Record<string, number> = {};
  result['PCMU encode'] = measure(nb, encodeMulaw);
  result['PCMU decode'] = measure(mu, decodeMulaw);
  result['PCMA encode'] = measure(nb, encodeAlaw);
  result['PCMA decode'] = measure(al, decodeAlaw);

  const enc48 = createEncoder(OPUS, { pcmRate: 48000 });
  result['opus encode 48k'] = measure(fb, (x) => enc48.encode(x));
  const packets48 = fb.map((x) => enc48.encode(x));
  enc48.close();
  const enc8 = createEncoder(OPUS, { pcmRate: 8000 });
  result['opus encode 8k'] = measure(nb, (x) => enc8.encode(x));
  const packets8 = nb.map((x) => enc8.encode(x));
  enc8.close();
  const enc8fec = createEncoder(OPUS_FEC, { pcmRate: 8000 });
  result['opus encode 8k FEC'] = measure(nb, (x) => enc8fec.encode(x));
  enc8fec.close();
  const dec48 = createDecoder(OPUS, { pcmRate: 48000 });
  result['opus decode 48k'] = measure(packets48, (p) => dec48.decode(p));
  dec48.close();
  // What a narrowband call decodes: a wideband sender's packets (a browser's, the benchmark
  // generator's) at 8 kHz. They carry more than SILK narrowband, so this costs more than
  // decoding 8 kHz packets, which is printed too.
  const dec8 = createDecoder(OPUS, { pcmRate: 8000 });
  result['opus decode 8k'] = measure(packets48, (p) => dec8.decode(p));
  dec8.close();
  const dec8nb = createDecoder(OPUS, { pcmRate: 8000 });
  result['opus decode 8k of 8k'] = measure(packets8, (p) => dec8nb.decode(p));
  dec8nb.close();

  const up = new Resampler(8000, 48000);
  result['resample 8->48'] = measure(nb, (x) => up.process(x));
  const down = new Resampler(48000, 8000);
  result['resample 48->8'] = measure(fb, (x) => down.process(x));
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchCodecs();
  process.stdout.write('codec step            µs per 20 ms frame\n');
  for (const [k, v] of Object.entries(r)) process.stdout.write(`${k.padEnd(22)}${v.toFixed(1).padStart(8)}\n`);
}
