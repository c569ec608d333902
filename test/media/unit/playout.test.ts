/** Jitter buffer + decoder together: what a listener hears from a lossy, jittery stream. */
import t from 'tap';
import { createDecoder, createEncoder } from '../../../media/codecs/index.js';
import { JitterBuffer } from '../../../media/jitter-buffer.js';
import type { CodecSpec, RtpPacketInfo } from '../../../media/types.js';
import { concat, peakFrequency, rms, sine } from './spectrum.js';

const SPECS: CodecSpec[] = [
  { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 },
  { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
];

for (const spec of SPECS) {
  t.test(`${spec.name}: 5% loss and 60 ms jitter play out as a continuous tone`, async (t) => {
    const rate = spec.name === 'opus' ? 48000 : 8000;
    const frame = rate / 50;
    const enc = createEncoder(spec);
    const dec = createDecoder(spec);
    const jb = new JitterBuffer({ clockRate: spec.clockRate, minDelayMs: 40, maxDelayMs: 200 });
    const tone = sine(700, rate, rate * 4, 10000);
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const arrivals: { at: number; pkt: RtpPacketInfo }[] = [];
    let sentLost = 0;
    for (let s = 0; s < 200; s++) {
      const payload = enc.encode(tone.subarray(s * frame, (s + 1) * frame));
      if (s > 10 && rnd() < 0.05) {
        sentLost++;
        continue;
      }
      const pkt = { payloadType: spec.payloadType, sequenceNumber: 1000 + s, timestamp: s * (spec.clockRate / 50), ssrc: 7, marker: s === 0, payload };
      arrivals.push({ at: s * 20 + rnd() * 60, pkt });
    }
    arrivals.sort((a, b) => a.at - b.at);
    const out: Int16Array[] = [];
    let i = 0;
    let concealed = 0;
    const firstConcealed: number[] = [];
    let goodRun = 0;
    for (let now = 0; now < 4400; now += 20) {
      while (i < arrivals.length && arrivals[i].at <= now) jb.push(arrivals[i].pkt, arrivals[i].at), i++;
      const r = jb.pop(now);
      if (!r) continue;
      if (r.packet) out.push(dec.decode(r.packet.payload));
      else {
        concealed++;
        const c = dec.conceal();
        // A gap after a few good frames (the decoder has settled since the last gap).
        if (goodRun >= 3 && out.length > 10) firstConcealed.push(rms(c));
        out.push(c);
      }
      goodRun = r.lost ? 0 : goodRun + 1;
    }
    enc.close();
    dec.close();
    const pcm = concat(out);
    t.ok(sentLost >= 4, `the network lost ${sentLost} packets`);
    t.ok(concealed >= sentLost, `every loss was concealed (${concealed} concealed frames)`);
    t.ok(jb.stats.late <= 4, `few packets arrived after their slot (${jb.stats.late})`);
    t.equal(peakFrequency(pcm, rate, 200, 3000, 20), 700, 'the tone is what is heard');
    // The first concealed frame of every gap continues the tone (PLC, or the G.711 repeat).
    t.ok(firstConcealed.length > 0 && firstConcealed.every((v) => v > 3000), `gaps start with real concealment (${firstConcealed.map((v) => v.toFixed(0)).join(' ')})`);
    const windows = [];
    for (let k = 20; k < out.length - 20; k++) windows.push(rms(out[k]));
    const quiet = windows.filter((w) => w < 1500).length;
    if (spec.name === 'PCMU') {
      t.ok(quiet <= 2, `no holes in the audio (${quiet} quiet frames of ${windows.length})`);
    } else {
      // libopus fades its concealment within ~60 ms, so only longer bursts dip.
      t.ok(quiet <= concealed, `quiet frames only where a burst was concealed (${quiet} of ${windows.length})`);
    }
  });
}
