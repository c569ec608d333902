import t from 'tap';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../../../media/codecs/g711.js';
import { createDecoder, createEncoder } from '../../../media/codecs/index.js';
import { sine, toneToResidualDb } from './spectrum.js';

const all16 = (): Int16Array => {
  const x = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) x[i] = i - 32768;
  return x;
};

t.test('mu-law known code words (G.711 table, 16-bit scale)', async (t) => {
  const dec = decodeMulaw(Buffer.from([0xff, 0x7f, 0xfe, 0x7e, 0xf0, 0xef, 0xdf, 0x8f, 0x80, 0x00]));
  t.same([...dec], [0, 0, 8, -8, 120, 132, 396, 16764, 32124, -32124]);
  const enc = encodeMulaw(Int16Array.from([0, -1, 8, -8, 132, 32767, -32768, 16764, -16764]));
  t.same([...enc], [0xff, 0x7f, 0xfe, 0x7e, 0xef, 0x80, 0x00, 0x8f, 0x0f]);
});

t.test('A-law known code words (G.711 table, 16-bit scale, even bits inverted)', async (t) => {
  const dec = decodeAlaw(Buffer.from([0xd5, 0x55, 0xd4, 0xaa, 0x2a, 0xc5, 0xe5]));
  t.same([...dec], [8, -8, 24, 32256, -32256, 264, 1056]);
  const enc = encodeAlaw(Int16Array.from([0, -1, 24, 32767, -32768, 264, 1056]));
  t.same([...enc], [0xd5, 0x55, 0xd4, 0xaa, 0x2a, 0xc5, 0xe5]);
});

t.test('every code word decodes and re-encodes to itself (except the duplicate zero)', async (t) => {
  const codes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const mu = encodeMulaw(decodeMulaw(codes));
  const a = encodeAlaw(decodeAlaw(codes));
  let muBad = 0;
  let aBad = 0;
  for (let i = 0; i < 256; i++) {
    if (mu[i] !== i && i !== 0x7f) muBad++; // 0x7f is negative zero, encodes as 0xff
    if (a[i] !== i) aBad++;
  }
  t.equal(muBad, 0);
  t.equal(aBad, 0);
});

t.test('round trip error bounded by the segment step; sign symmetric; monotonic', async (t) => {
  const x = all16();
  for (const [name, enc, dec] of [
    ['mulaw', encodeMulaw, decodeMulaw],
    ['alaw', encodeAlaw, decodeAlaw],
  ] as const) {
    const y = dec(enc(x));
    let worst = 0;
    let nonMonotonic = 0;
    let asymmetric = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (Math.abs(v) <= 32000) {
        const excess = Math.abs(y[i] - v) - (Math.abs(v) / 32 + 9);
        worst = Math.max(worst, excess);
      }
      if (i > 0 && y[i] < y[i - 1]) nonMonotonic++;
      // mu-law mirrors x to -x; A-law works on 13 bits and mirrors x to -x-1 (16-bit: -v-8).
      const mirror = name === 'mulaw' ? -v : -v - 8;
      if (v >= 0 && v % 8 === 0 && v < 32000 && y[i] !== -dec(enc(Int16Array.of(mirror)))[0]) asymmetric++;
    }
    t.ok(worst <= 0, `${name}: error within |x|/32 + 9 everywhere (worst excess ${worst})`);
    t.equal(nonMonotonic, 0, `${name}: monotonic`);
    t.equal(asymmetric, 0, `${name}: sign symmetric`);
    const tone = sine(1000, 8000, 8000, 20000);
    const snr = toneToResidualDb(dec(enc(tone)), 8000, 1000);
    t.ok(snr > 33, `${name}: SQNR of a loud 1 kHz tone ${snr.toFixed(1)} dB > 33 dB`);
  }
});

t.test('G.711 decoder conceals by fading the last frame to silence', async (t) => {
  const enc = createEncoder({ name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 });
  const dec = createDecoder({ name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 });
  t.equal(enc.pcmRate, 8000);
  const frame = sine(400, 8000, 160, 10000);
  const decoded = dec.decode(enc.encode(frame));
  t.equal(decoded.length, 160);
  const peak = (x: Int16Array): number => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const c1 = dec.conceal();
  const c2 = dec.conceal();
  const c3 = dec.conceal();
  const c4 = dec.conceal();
  t.equal(c1.length, 160);
  t.ok(peak(c1) > 5000 && peak(c1) <= peak(decoded), 'first concealed frame continues the audio');
  t.ok(peak(c2) < peak(c1) && peak(c3) < peak(c2), 'then fades');
  t.equal(peak(c4), 0, 'and is silent after 60 ms');
  dec.decode(enc.encode(frame));
  t.ok(peak(dec.conceal()) > 5000, 'fade restarts after a good frame');
  enc.close();
  dec.close();
});

t.test('PCMA coder objects round trip a tone at 8 kHz', async (t) => {
  const spec = { name: 'PCMA' as const, payloadType: 8, clockRate: 8000, channels: 1 };
  const enc = createEncoder(spec);
  const dec = createDecoder(spec);
  const x = sine(1000, 8000, 160, 12000);
  const payload = enc.encode(x);
  t.equal(payload.length, 160, 'one byte per sample');
  t.ok(toneToResidualDb(dec.decode(payload), 8000, 1000) > 30);
  t.same([...payload], [...encodeAlaw(x)], 'same bytes as the table encoder');
});
