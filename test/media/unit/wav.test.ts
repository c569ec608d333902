import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, WavWriter } from '../../../media/wav.js';
import { encodeAlaw, encodeMulaw } from '../../../media/codecs/g711.js';
import { sine, toneToResidualDb } from './spectrum.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-wav-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('mono write/read round trip is bit exact', async (t) => {
  const path = join(dir, 'mono.wav');
  const x = sine(440, 16000, 16000, 20000);
  const w = new WavWriter(path, { sampleRate: 16000, channels: 1 });
  w.write(x.subarray(0, 7000));
  w.write(x.subarray(7000));
  w.close();
  const file = readFileSync(path);
  t.equal(file.length, 44 + 32000);
  t.equal(file.toString('ascii', 0, 4), 'RIFF');
  t.equal(file.readUInt32LE(4), 36 + 32000);
  t.equal(file.readUInt32LE(40), 32000);
  const wav = readWav(path);
  t.equal(wav.sampleRate, 16000);
  t.equal(wav.channels, 1);
  t.same([...wav.samples[0]], [...x]);
});

t.test('stereo round trip keeps channels apart', async (t) => {
  const path = join(dir, 'stereo.wav');
  const left = sine(500, 8000, 8000, 10000);
  const right = sine(1500, 8000, 8000, 10000);
  const inter = new Int16Array(16000);
  for (let i = 0; i < 8000; i++) {
    inter[2 * i] = left[i];
    inter[2 * i + 1] = right[i];
  }
  const w = new WavWriter(path, { sampleRate: 8000, channels: 2 });
  w.write(inter);
  w.close();
  const wav = readWav(path);
  t.equal(wav.channels, 2);
  t.same([...wav.samples[0]], [...left]);
  t.same([...wav.samples[1]], [...right]);
});

t.test('crash safety: after flush the file on disk is a valid WAV without close()', async (t) => {
  const path = join(dir, 'crash.wav');
  const w = new WavWriter(path, { sampleRate: 8000, channels: 2 });
  const chunk = new Int16Array(320).fill(1234);
  for (let i = 0; i < 50; i++) w.write(chunk);
  w.flush();
  for (let i = 0; i < 10; i++) w.write(chunk); // unflushed: lost in a crash
  // Read the bytes as another process would, without closing the writer.
  const file = readFileSync(path);
  t.equal(file.readUInt32LE(40), 50 * 640, 'data size covers exactly the flushed audio');
  t.equal(file.readUInt32LE(4), file.length - 8, 'RIFF size matches the file');
  t.equal(file.length, 44 + 50 * 640);
  const wav = readWav(path);
  t.equal(wav.samples[0].length, 50 * 160);
  t.ok(wav.samples[1].every((v) => v === 1234));
  w.flush();
  t.equal(readFileSync(path).readUInt32LE(40), 60 * 640, 'next flush extends it');
  w.close();
  t.throws(() => w.write(chunk), 'closed writer refuses writes');
});

function header(format: number, channels: number, rate: number, bits: number, dataBytes: number, extensible = false): Buffer {
  const fmtSize = extensible ? 40 : 16;
  const h = Buffer.alloc(20 + fmtSize + 8);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(12 + fmtSize + dataBytes + 8, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(fmtSize, 16);
  h.writeUInt16LE(extensible ? 0xfffe : format, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE((rate * channels * bits) / 8, 28);
  h.writeUInt16LE((channels * bits) / 8, 32);
  h.writeUInt16LE(bits, 34);
  if (extensible) {
    h.writeUInt16LE(22, 36);
    h.writeUInt16LE(bits, 38);
    h.writeUInt16LE(format, 44);
  }
  h.write('data', 20 + fmtSize, 'ascii');
  h.writeUInt32LE(dataBytes, 24 + fmtSize);
  return h;
}

t.test('reads 8/24/32-bit PCM, float32, mu-law, A-law, extensible, with extra chunks', async (t) => {
  const rate = 22050;
  const x = sine(1000, rate, rate / 2, 16000);
  const cases: [string, number, number, (v: number) => Buffer, boolean?][] = [
    ['pcm8', 1, 8, (v) => Buffer.from([Math.round(v / 256) + 128])],
    [
      'pcm24',
      1,
      24,
      (v) => {
        const b = Buffer.alloc(3);
        b.writeIntLE(v * 256, 0, 3);
        return b;
      },
    ],
    [
      'pcm32',
      1,
      32,
      (v) => {
        const b = Buffer.alloc(4);
        b.writeInt32LE(v * 65536);
        return b;
      },
    ],
    [
      'float32',
      3,
      32,
      (v) => {
        const b = Buffer.alloc(4);
        b.writeFloatLE(v / 32768);
        return b;
      },
    ],
    [
      'float32-ext',
      3,
      32,
      (v) => {
        const b = Buffer.alloc(4);
        b.writeFloatLE(v / 32768);
        return b;
      },
      true,
    ],
    ['mulaw', 7, 8, (v) => encodeMulaw(Int16Array.of(v))],
    ['alaw', 6, 8, (v) => encodeAlaw(Int16Array.of(v))],
  ];
  for (const [name, format, bits, enc, ext] of cases) {
    const data = Buffer.concat([...x].map(enc));
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc\0')]);
    const file = Buffer.concat([header(format, 1, rate, bits, data.length, ext), data]);
    // Put a LIST chunk (odd-sized, padded) between fmt and data.
    const fmtEnd = ext ? 60 : 36;
    const withList = Buffer.concat([file.subarray(0, fmtEnd), list, file.subarray(fmtEnd)]);
    const path = join(dir, `${name}.wav`);
    writeFileSync(path, withList);
    const wav = readWav(path);
    t.equal(wav.sampleRate, rate, `${name}: rate`);
    t.equal(wav.samples[0].length, x.length, `${name}: length`);
    const snr = toneToResidualDb(wav.samples[0], rate, 1000);
    t.ok(snr > 30, `${name}: content kept (${snr.toFixed(1)} dB)`);
  }
});

t.test('bad files are reported, not crashed on', async (t) => {
  const path = join(dir, 'bad.wav');
  writeFileSync(path, 'hello world, not audio');
  t.throws(() => readWav(path), /not a RIFF/);
  writeFileSync(path, header(85, 1, 8000, 16, 0));
  t.throws(() => readWav(path), /unsupported/);
  t.throws(() => readWav(join(dir, 'missing.wav')));
});
