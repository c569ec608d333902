import t from 'tap';
import { JitterBuffer } from '../../../media/jitter-buffer.js';
import type { RtpPacketInfo } from '../../../media/types.js';

function packet(seq: number, ssrc = 0x1234, payload = Buffer.alloc(160, 0x10)): RtpPacketInfo {
  return {
    payloadType: 0,
    sequenceNumber: seq & 0xffff,
    timestamp: (seq * 160) >>> 0,
    ssrc,
    marker: false,
    payload,
  };
}

interface Arrival {
  at: number;
  pkt: RtpPacketInfo;
}

/** Play a schedule of arrivals against a 20 ms pop clock; returns what each pop yielded. */
function simulate(jb: JitterBuffer, arrivals: Arrival[], untilMs: number, onPop?: (now: number) => void) {
  arrivals.sort((a, b) => a.at - b.at);
  const played: (number | 'lost')[] = [];
  const delays: number[] = [];
  let i = 0;
  for (let now = 0; now <= untilMs; now += 20) {
    while (i < arrivals.length && arrivals[i].at <= now) {
      jb.push(arrivals[i].pkt, arrivals[i].at);
      i++;
    }
    const r = jb.pop(now);
    if (r) played.push(r.lost ? 'lost' : r.packet!.sequenceNumber);
    delays.push(jb.delayMs);
    onPop?.(now);
  }
  return { played, delays };
}

function seededRandom(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

t.test('reordered packets come out in sequence order with nothing lost', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000, minDelayMs: 40 });
  const arrivals: Arrival[] = [];
  for (let s = 0; s < 100; s++) {
    // Swap every pair: 1,0,3,2,... each late one arrives 25 ms after its slot.
    const late = s % 2 === 0 ? 25 : 0;
    arrivals.push({ at: 5 + s * 20 + late, pkt: packet(s) });
  }
  const { played } = simulate(jb, arrivals, 2200);
  const got = played.filter((p) => p !== 'lost');
  t.same(got, Array.from({ length: 100 }, (_, i) => i), 'every packet, in order');
  t.equal(jb.stats.lost, 0, 'none reported lost');
  t.equal(jb.stats.late, 0, 'none arrived too late');
});

t.test('lost packets are reported as lost in their slot so the caller conceals', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000 });
  const dropped = new Set([10, 20, 21, 50]);
  const arrivals: Arrival[] = [];
  for (let s = 0; s < 80; s++) if (!dropped.has(s)) arrivals.push({ at: s * 20 + 3, pkt: packet(s) });
  const { played } = simulate(jb, arrivals, 1800);
  const seqs = played.filter((p): p is number => p !== 'lost');
  t.same(seqs, Array.from({ length: 80 }, (_, i) => i).filter((i) => !dropped.has(i)), 'every received packet, in order');
  // Between two played packets there is one concealed slot per missing packet (plus at most
  // one more when the buffer ran dry just as the gap began: a gap looks late until proven lost).
  let misplaced = 0;
  let prevIdx = played.indexOf(0);
  for (let k = 1; k < seqs.length; k++) {
    const idx = played.indexOf(seqs[k], prevIdx + 1);
    const missing = seqs[k] - seqs[k - 1] - 1;
    const concealed = idx - prevIdx - 1;
    if (concealed < missing || concealed > missing + 1) misplaced++;
    prevIdx = idx;
  }
  t.equal(misplaced, 0, 'concealment exactly where packets are missing');
  t.equal(jb.stats.lost, 4);
});

t.test('sequence numbers wrap around 65535 without a reset', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000 });
  const arrivals: Arrival[] = [];
  for (let s = 0; s < 40; s++) arrivals.push({ at: s * 20, pkt: packet(65520 + s) });
  const { played } = simulate(jb, arrivals, 1000);
  t.same(
    played.filter((p) => p !== 'lost'),
    Array.from({ length: 40 }, (_, i) => (65520 + i) & 0xffff),
  );
  t.equal(jb.stats.resets, 0);
});

t.test('target delay adapts to measured jitter within [min, max]', async (t) => {
  const calm = new JitterBuffer({ clockRate: 8000, minDelayMs: 20, maxDelayMs: 300 });
  const noisy = new JitterBuffer({ clockRate: 8000, minDelayMs: 20, maxDelayMs: 300 });
  const rnd = seededRandom(7);
  const calmArr: Arrival[] = [];
  const noisyArr: Arrival[] = [];
  for (let s = 0; s < 500; s++) {
    calmArr.push({ at: s * 20 + 10, pkt: packet(s) });
    noisyArr.push({ at: s * 20 + 10 + rnd() * 80, pkt: packet(s) });
  }
  simulate(calm, calmArr, 10200);
  const { played } = simulate(noisy, noisyArr, 10200);
  t.ok(calm.targetDelayMs <= 40, `calm stream: target ${calm.targetDelayMs} ms`);
  t.ok(noisy.targetDelayMs >= 80 && noisy.targetDelayMs <= 300, `80 ms of jitter: target ${noisy.targetDelayMs} ms`);
  const lateShare = noisy.stats.late / 500;
  t.ok(lateShare < 0.05, `after adapting, few packets miss their slot (${(lateShare * 100).toFixed(1)}%)`);
  t.ok(played.filter((p) => p !== 'lost').length > 470, 'nearly everything is played');
  const capped = new JitterBuffer({ clockRate: 8000, minDelayMs: 20, maxDelayMs: 100 });
  simulate(capped, noisyArr.map((a, i) => ({ at: i * 20 + rnd() * 400, pkt: a.pkt })), 10200);
  t.ok(capped.targetDelayMs <= 100, 'never above maxDelayMs');
});

for (const [label, interval] of [
  ['fast', 19.9],
  ['slow', 20.1],
] as const) {
  t.test(`sender clock 0.5% ${label}: delay stays bounded over 10 minutes`, async (t) => {
    const jb = new JitterBuffer({ clockRate: 8000, minDelayMs: 40, maxDelayMs: 200 });
    const rnd = seededRandom(3);
    const arrivals: Arrival[] = [];
    const n = 30000;
    for (let s = 0; s < n; s++) {
      // A quiet payload every 10th packet gives the buffer somewhere to drop.
      const payload = Buffer.alloc(160, s % 10 === 0 ? 0xff : 0x10);
      arrivals.push({ at: s * interval + rnd() * 10, pkt: packet(s, 0x1234, payload) });
    }
    const { played, delays } = simulate(jb, arrivals, n * interval + 500);
    const steady = delays.slice(500, delays.length - 100);
    const worst = Math.max(...steady);
    t.ok(worst <= 200, `worst buffered delay ${worst} ms <= max 200 ms`);
    const playedCount = played.filter((p) => p !== 'lost').length;
    if (label === 'fast') {
      // 0.5% of 30000 = 150 surplus frames must have been dropped, not queued.
      t.ok(jb.stats.dropped >= 100 && jb.stats.dropped <= 250, `dropped ${jb.stats.dropped} frames`);
      t.ok(playedCount >= n - 250, `played ${playedCount}`);
    } else {
      t.ok(jb.stats.inserted >= 100 && jb.stats.inserted <= 250, `inserted ${jb.stats.inserted} frames`);
      t.ok(playedCount >= n - 5, `played ${playedCount}, nothing dropped`);
    }
    const seqs = played.filter((p): p is number => p !== 'lost');
    t.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), 'order kept');
  });
}

t.test('SSRC change and big sequence jumps start over instead of stalling', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000 });
  const arrivals: Arrival[] = [];
  for (let s = 0; s < 20; s++) arrivals.push({ at: s * 20, pkt: packet(s) });
  for (let s = 0; s < 20; s++) arrivals.push({ at: 400 + s * 20, pkt: packet(30000 + s, 0x9999) });
  for (let s = 0; s < 20; s++) arrivals.push({ at: 800 + s * 20, pkt: packet(5000 + s, 0x9999) });
  const { played } = simulate(jb, arrivals, 1400);
  const got = played.filter((p) => p !== 'lost');
  t.ok(got.includes(30005) && got.includes(5010), 'both new streams are played');
  t.ok(got.filter((s) => s >= 30000 && s < 30020).length >= 18, 'new SSRC plays nearly fully');
  t.ok(got.filter((s) => s >= 5000 && s < 5020).length >= 18, 'after the jump plays nearly fully');
  t.equal(jb.stats.resets, 2);
  jb.reset();
  t.equal(jb.pop(2000), undefined, 'empty after reset');
});

t.test('a paused sender does not produce endless losses, and resumes cleanly', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000 });
  const arrivals: Arrival[] = [];
  for (let s = 0; s < 10; s++) arrivals.push({ at: s * 20, pkt: packet(s) });
  for (let s = 100; s < 110; s++) arrivals.push({ at: 3000 + (s - 100) * 20, pkt: packet(s) });
  const { played } = simulate(jb, arrivals, 4000);
  const gap = played.slice(played.indexOf(9) + 1, played.indexOf(100));
  t.ok(gap.length > 0 && gap.length <= 11, `concealment stops after ${gap.length} frames of the pause`);
  t.same(played.filter((p) => p !== 'lost'), [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 100 + i)]);
});
