import t, { type Test } from 'tap';
import { createDecoder, createEncoder } from '../../../media/codecs/index.js';
import type { CodecSpec } from '../../../media/types.js';
import { concat, peakFrequency, rms, sine, toneAmplitude, toneToResidualDb } from './spectrum.js';
import { silkFlags } from '../../helpers/opus-lbrr.js';

const OPUS: CodecSpec = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };

function roundTrip(t: Test, rate: number, seconds: number): { out: Int16Array; sizes: number[] } {
  const enc = createEncoder(OPUS, { pcmRate: rate });
  const dec = createDecoder(OPUS, { pcmRate: rate });
  t.equal(enc.pcmRate, rate);
  t.equal(dec.pcmRate, rate);
  const frame = rate / 50;
  const x = sine(1000, rate, rate * seconds, 12000);
  const outs: Int16Array[] = [];
  const sizes: number[] = [];
  for (let i = 0; i + frame <= x.length; i += frame) {
    const payload = enc.encode(x.subarray(i, i + frame));
    sizes.push(payload.length);
    outs.push(dec.decode(payload));
  }
  enc.close();
  dec.close();
  t.ok(
    outs.every((o) => o.length === frame),
    'every decoded frame is 20 ms',
  );
  return { out: concat(outs), sizes };
}

for (const rate of [48000, 8000]) {
  t.test(`Opus at ${rate} Hz keeps a 1 kHz tone`, async (t) => {
    const { out, sizes } = roundTrip(t, rate, 1);
    const y = out.subarray(rate / 5); // past the codec's start-up
    t.equal(peakFrequency(y, rate, 200, rate === 8000 ? 3800 : 8000, 25), 1000, 'spectrum peak at 1 kHz');
    const snr = toneToResidualDb(y, rate, 1000);
    // SILK (narrowband) models speech rather than the waveform, so its bound is lower.
    const bound = rate === 8000 ? 15 : 30;
    t.ok(snr > bound, `tone to residual ${snr.toFixed(1)} dB > ${bound} dB`);
    const level = toneAmplitude(y, rate, 1000) / 12000;
    t.ok(level > 0.7 && level < 1.3, `level kept (${level.toFixed(2)})`);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    t.ok(mean > 10 && mean < 400, `payloads are compressed (${mean.toFixed(0)} bytes per 20 ms)`);
  });
}

t.test('Opus PLC fills a lost frame with 20 ms that continues the tone, then fades', async (t) => {
  const rate = 48000;
  const enc = createEncoder(OPUS);
  const dec = createDecoder(OPUS);
  t.equal(enc.pcmRate, 48000, 'default PCM rate is 48 kHz');
  const x = sine(500, rate, rate, 12000);
  for (let i = 0; i < 25; i++) dec.decode(enc.encode(x.subarray(i * 960, (i + 1) * 960)));
  const concealed = dec.conceal();
  t.equal(concealed.length, 960, 'one frame');
  t.ok(rms(concealed) > 1000, `concealment is not silence (rms ${rms(concealed).toFixed(0)})`);
  t.equal(peakFrequency(concealed, rate, 100, 2000, 25), 500, 'and sounds like the tone before it');
  const after = dec.decode(enc.encode(x.subarray(26 * 960, 27 * 960)));
  t.equal(after.length, 960, 'decoding resumes after the loss');
  t.same([...dec.decode(Buffer.from([0xff, 0xff, 0xff]))].length, 960, 'a corrupt packet is concealed, not thrown');
  enc.close();
  dec.close();
  t.throws(() => dec.decode(Buffer.alloc(10)), 'closed decoder refuses work');
});

t.test('unknown codec and bad rate are refused', async (t) => {
  t.throws(() => createEncoder({ name: 'telephone-event', payloadType: 101, clockRate: 8000, channels: 1 }));
  t.throws(() => createEncoder(OPUS, { pcmRate: 44100 }));
});

t.test('maxaveragebitrate in the fmtp caps the encoder', async (t) => {
  const x = sine(1000, 48000, 48000, 12000);
  const size = (params?: Record<string, string | number>) => {
    const enc = createEncoder({ ...OPUS, params });
    let bytes = 0;
    for (let i = 0; i < 50; i++) bytes += enc.encode(x.subarray(i * 960, (i + 1) * 960)).length;
    enc.close();
    return (bytes * 8) / 1000; // kbit in one second
  };
  const free = size();
  const capped = size({ maxaveragebitrate: 12000 });
  t.ok(free > 25 && free < 40, `default about 32 kbps (${free.toFixed(1)})`);
  t.ok(capped < 16, `capped to about 12 kbps (${capped.toFixed(1)})`);
  t.ok(Math.abs(size({ maxaveragebitrate: 'junk' }) - free) < 4, 'junk ignored');
});

/** Whether a one-frame SILK-only Opus packet carries in-band FEC (read as a decoder does). */
function carriesFec(packet: Buffer): boolean {
  const config = packet[0]! >> 3;
  if (config > 11 || (packet[0]! & 3) !== 0) throw new Error(`not a one-frame SILK-only packet (TOC ${packet[0]})`);
  return silkFlags(packet)!.lbrr;
}

t.test('in-band FEC goes to a receiver whose fmtp asks for it (useinbandfec=1), not to one that does not', async (t) => {
  const x = sine(440, 8000, 8000, 8000);
  const fecShare = (params?: Record<string, string | number>): number => {
    const enc = createEncoder({ ...OPUS, params }, { pcmRate: 8000 });
    let withFec = 0;
    for (let i = 0; i < 50; i++) if (carriesFec(enc.encode(x.subarray(i * 160, (i + 1) * 160)))) withFec++;
    enc.close();
    return withFec / 50;
  };
  const asked = fecShare({ useinbandfec: 1 });
  // SILK adds FEC to the frames it judges worth protecting: most of a steady tone's, after the first
  t.ok(asked > 0.3, `useinbandfec=1: ${(asked * 100).toFixed(0)} % of the packets carry FEC`);
  t.equal(fecShare(), 0, 'no fmtp (RFC 7587: useinbandfec defaults to 0): no packet carries FEC');
  t.equal(fecShare({ useinbandfec: 0 }), 0, 'useinbandfec=0: none');
  t.equal(fecShare({ useinbandfec: '1' }), asked, 'the value as the fmtp parser may leave it (a string)');
});
