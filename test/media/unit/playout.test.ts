/**
 * The live path's inbound audio (jitter buffer + decoder + concealment) on a virtual clock: what a
 * listener hears from a lossy, jittery, reordering stream.
 */
import t from 'tap';
import pino from 'pino';
import { createDecoder, createEncoder } from '../../../media/codecs/index.js';
import { InboundAudio, type PlayoutClock } from '../../../media/endpoints/inbound-audio.js';
import type { CodecSpec, RtpPacketInfo } from '../../../media/types.js';
import { concat, peakFrequency, rms, sine } from './spectrum.js';

const SPECS: CodecSpec[] = [
  { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 },
  { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
];

/** A clock whose time only moves when the test says so; timers fire in order as it passes them. */
class VirtualClock implements PlayoutClock {
  private t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  advanceTo(at: number): void {
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= at && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = at;
  }
  get pending(): number {
    return this.timers.size;
  }
}

function stream(spec: CodecSpec, rate: number, toneHz: number, frames: number): RtpPacketInfo[] {
  const frame = rate / 50;
  const enc = createEncoder(spec, { pcmRate: rate });
  const tone = sine(toneHz, rate, frame * frames, 10000);
  const out = Array.from({ length: frames }, (_, s) => ({
    payloadType: spec.payloadType,
    sequenceNumber: 1000 + s,
    timestamp: s * (spec.clockRate / 50),
    ssrc: 7,
    marker: s === 0,
    payload: enc.encode(tone.subarray(s * frame, (s + 1) * frame)),
  }));
  enc.close();
  return out;
}

function listen(spec: CodecSpec, rate: number, maxDelayMs: number, arrivals: { at: number; pkt: RtpPacketInfo }[]) {
  const clock = new VirtualClock();
  const frames: { at: number; pcm: Int16Array }[] = [];
  const inbound = new InboundAudio(pino({ level: 'silent' }), {
    maxDelayMs,
    clock,
    format: () => ({ codec: spec, pcmRate: rate }),
    onFrame: (f) => frames.push({ at: clock.now(), pcm: Int16Array.from(f) }),
  });
  for (const a of [...arrivals].sort((x, y) => x.at - y.at)) {
    clock.advanceTo(a.at);
    inbound.push(a.pkt);
  }
  clock.advanceTo(1e9);
  const result = { frames, stats: { ...inbound.stats }, timersLeft: clock.pending };
  inbound.reset();
  return result;
}

for (const spec of SPECS) {
  const rate = spec.name === 'opus' ? 48000 : 8000;

  t.test(`${spec.name}: reordered packets are decoded in order, exactly as if none were`, async (t) => {
    const packets = stream(spec, rate, 700, 100);
    const inOrder = listen(
      spec,
      rate,
      60,
      packets.map((pkt, i) => ({ at: i * 20, pkt })),
    );
    // Every 7th packet arrives 30 ms late, behind its successor.
    const arrivedAt = (i: number) => i * 20 + (i % 7 === 3 ? 30 : 0);
    const reordered = listen(
      spec,
      rate,
      60,
      packets.map((pkt, i) => ({ at: arrivedAt(i), pkt })),
    );
    t.equal(reordered.stats.reordered, 14, '14 packets arrived behind their successor');
    t.equal(reordered.frames.length, 100, 'a frame for every packet');
    t.same(
      concat(reordered.frames.map((f) => f.pcm)),
      concat(inOrder.frames.map((f) => f.pcm)),
      'the same audio, sample for sample: nothing concealed',
    );
    const maxWait = Math.max(...reordered.frames.map((f, i) => f.at - arrivedAt(i)));
    t.equal(maxWait, 10, 'audio behind a late packet waited for it, no longer (10 ms)');
    t.equal(reordered.timersLeft, 0, 'no timer left behind');
  });

  t.test(`${spec.name}: 5% loss and 0–60 ms jitter play out as a continuous tone`, async (t) => {
    const packets = stream(spec, rate, 700, 200);
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const arrivals: { at: number; pkt: RtpPacketInfo }[] = [];
    const lostSlots = new Set<number>();
    packets.forEach((pkt, s) => {
      if (s > 10 && rnd() < 0.05) lostSlots.add(s);
      else arrivals.push({ at: s * 20 + rnd() * 60, pkt });
    });
    const sentLost = lostSlots.size;
    const heard = listen(spec, rate, 60, arrivals);
    const out = heard.frames.map((f) => f.pcm);
    t.ok(sentLost >= 4, `the network lost ${sentLost} packets`);
    t.equal(
      heard.stats.lost,
      sentLost + heard.stats.late,
      `every loss was concealed in its slot (${heard.stats.lost} concealed, ${heard.stats.late} too late)`,
    );
    t.ok(heard.stats.late <= 4, `few packets came after their slot was concealed (${heard.stats.late})`);
    t.ok(heard.stats.reordered > 20, `many arrived out of order and were put back (${heard.stats.reordered})`);
    t.equal(out.length, 200, 'a frame for every 20 ms sent');
    t.equal(peakFrequency(concat(out), rate, 200, 3000, 20), 700, 'the tone is what is heard');
    const quiet = out.map((f, i) => (i >= 5 && rms(f) < 1500 ? i : -1)).filter((i) => i >= 0);
    if (spec.name === 'PCMU') t.same(quiet, [], 'no holes in the audio');
    // libopus fades its concealment and ramps back up on the next packet: quiet frames may
    // appear there, and only there.
    else
      t.ok(
        quiet.every((i) => lostSlots.has(i) || lostSlots.has(i - 1)),
        `quiet frames only in or right after a concealed slot (${quiet.join(' ')}; lost ${[...lostSlots].join(' ')})`,
      );
    const waits = heard.frames.map((f, i) => f.at - i * 20).sort((a, b) => a - b);
    t.ok(
      waits[Math.floor(waits.length / 2)] <= 60,
      `the median frame leaves within the network's own delay (${waits[Math.floor(waits.length / 2)].toFixed(0)} ms after it was sent)`,
    );
  });
}

t.test('a codec change between packets starts a new decoder (no stale state)', async (t) => {
  const pcmu = stream(SPECS[1], 8000, 500, 10);
  const pcma: CodecSpec = { name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 };
  let spec: CodecSpec = SPECS[1];
  const frames: Int16Array[] = [];
  const inbound = new InboundAudio(pino({ level: 'silent' }), {
    maxDelayMs: 60,
    format: () => ({ codec: spec, pcmRate: 8000 }),
    onFrame: (f) => frames.push(Int16Array.from(f)),
  });
  for (const p of pcmu.slice(0, 5)) inbound.push(p, 0);
  spec = pcma;
  const enc = createEncoder(pcma);
  const a = enc.encode(sine(500, 8000, 160, 10000));
  inbound.push({ ...pcmu[5], payloadType: 8, payload: a }, 0);
  const dec = createDecoder(pcma);
  t.same(frames[5], dec.decode(a), 'the A-law packet is decoded as A-law');
  inbound.reset();
});
