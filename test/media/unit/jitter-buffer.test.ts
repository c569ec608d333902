import t from 'tap';
import { JitterBuffer, type PlayoutItem } from '../../../media/jitter-buffer.js';
import type { RtpPacketInfo } from '../../../media/types.js';

function packet(seq: number, ssrc = 0x1234): RtpPacketInfo {
  return {
    payloadType: 0,
    sequenceNumber: seq & 0xffff,
    timestamp: (seq * 160) >>> 0,
    ssrc,
    marker: false,
    payload: Buffer.alloc(160, 0x10),
  };
}

interface Played {
  seq: number;
  lost: number;
  restart: boolean;
  at: number;
  arrived: number;
}

/**
 * Runs arrivals (at their times) through the buffer, calling `release` whenever its deadline
 * comes before the next arrival, as the live path's timer does. Returns what was played and when.
 */
function run(
  jb: JitterBuffer,
  arrivals: { at: number; pkt: RtpPacketInfo }[],
  skips: { at: number; seq: number; ssrc?: number }[] = [],
) {
  const events = [
    ...arrivals.map((a) => ({ at: a.at, go: () => jb.push(a.pkt, a.at), key: `${a.pkt.ssrc}:${a.pkt.sequenceNumber}` })),
    ...skips.map((s) => ({ at: s.at, go: () => jb.skip(s.seq & 0xffff, s.ssrc ?? 0x1234, s.at), key: '' })),
  ].sort((a, b) => a.at - b.at);
  const arrivedAt = new Map<string, number>();
  for (const a of arrivals)
    if (!arrivedAt.has(`${a.pkt.ssrc}:${a.pkt.sequenceNumber}`)) arrivedAt.set(`${a.pkt.ssrc}:${a.pkt.sequenceNumber}`, a.at);
  const played: Played[] = [];
  const record = (items: PlayoutItem[], at: number): void => {
    for (const i of items)
      played.push({
        seq: i.packet.sequenceNumber,
        lost: i.lost,
        restart: i.restart,
        at,
        arrived: arrivedAt.get(`${i.packet.ssrc}:${i.packet.sequenceNumber}`) ?? NaN,
      });
  };
  for (const e of events) {
    for (let d = jb.deadline; d !== undefined && d <= e.at; d = jb.deadline) record(jb.release(d), d);
    record(e.go(), e.at);
  }
  for (let d = jb.deadline; d !== undefined; d = jb.deadline) record(jb.release(d), d);
  return played;
}

const steady = (from: number, n: number, ssrc = 0x1234) =>
  Array.from({ length: n }, (_, i) => ({ at: i * 20, pkt: packet(from + i, ssrc) }));

t.test('in-order packets play the moment they arrive, nothing held, nothing lost', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000, maxDelayMs: 60 });
  const played = run(jb, steady(100, 50));
  t.same(
    played.map((p) => p.seq),
    Array.from({ length: 50 }, (_, i) => 100 + i),
    'every packet, in order',
  );
  t.ok(
    played.every((p) => p.at === p.arrived && p.lost === 0),
    'each played on arrival, with no loss before it',
  );
  t.equal(jb.deadline, undefined, 'nothing waits');
  t.same(jb.stats, { received: 50, reordered: 0, late: 0, duplicate: 0, lost: 0, restarts: 0 });
});

t.test('a swapped pair plays in order: the later packet waits only until the earlier arrives', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000, maxDelayMs: 60 });
  const arrivals = steady(0, 10);
  arrivals[5].at = 90; // packet 5 arrives first,
  arrivals[4].at = 95; // then packet 4
  const played = run(jb, arrivals);
  t.same(
    played.map((p) => p.seq),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    'sequence order',
  );
  t.ok(
    played.every((p) => p.lost === 0),
    'nothing concealed',
  );
  const five = played.find((p) => p.seq === 5) as Played;
  t.equal(five.at, 95, 'packet 5 waited 5 ms, for packet 4');
  t.equal(jb.stats.reordered, 1);
});

t.test('a lost packet: the next waits one frame, then plays with the gap reported in its slot', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000, maxDelayMs: 60 });
  const arrivals = steady(0, 10).filter((a) => a.pkt.sequenceNumber !== 3);
  arrivals.push({ at: 200, pkt: packet(3) }); // a straggler far too late
  const played = run(jb, arrivals);
  t.same(
    played.map((p) => p.seq),
    [0, 1, 2, 4, 5, 6, 7, 8, 9],
    'the straggler is not played out of order',
  );
  const four = played.find((p) => p.seq === 4) as Played;
  t.equal(four.lost, 1, 'one frame to conceal before packet 4');
  t.equal(four.at - four.arrived, 20, 'packet 4 waited the minimum hold (one frame)');
  t.ok(
    played.filter((p) => p.seq > 4).every((p) => p.at === p.arrived),
    'the packets after it are not delayed',
  );
  t.equal(jb.stats.lost, 1);
  t.equal(jb.stats.late, 1, 'the straggler counts as late');
});

t.test('maxDelayMs 0 never holds: a gap is concealed as soon as it is seen', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000, maxDelayMs: 0 });
  const arrivals = steady(0, 6);
  arrivals[2].at = 65; // overtaken by packet 3 (at 60)
  const played = run(jb, arrivals);
  t.same(
    played.map((p) => [p.seq, p.lost]),
    [
      [0, 0],
      [1, 0],
      [3, 1],
      [4, 0],
      [5, 0],
    ],
    'packet 2 concealed, then dropped as late',
  );
  t.ok(
    played.every((p) => p.at === p.arrived),
    'nothing ever waits',
  );
  t.equal(jb.stats.late, 1);
});

t.test('the hold adapts to how late reordered packets really are, within maxDelayMs', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000, maxDelayMs: 80 });
  t.equal(jb.holdMs, 20, 'one frame to start with');
  // Every 10th packet is 45 ms late: the first one is concealed, what was learnt catches the rest.
  const arrivals = steady(0, 100).map((a) => (a.pkt.sequenceNumber % 10 === 5 ? { ...a, at: a.at + 45 } : a));
  const played = run(jb, arrivals);
  const concealedSlots = played.filter((p) => p.lost > 0).map((p) => p.seq - 1);
  t.same(concealedSlots, [5], 'only the first late packet was concealed');
  t.equal(played.length, 99, 'every other packet was played');
  t.ok(
    jb.holdMs >= 25 && jb.holdMs <= 80,
    `the hold grew past the 25 ms a late packet needed behind its successor (${jb.holdMs.toFixed(1)} ms)`,
  );

  const capped = new JitterBuffer({ clockRate: 8000, maxDelayMs: 40 });
  run(
    capped,
    steady(0, 100).map((a) => (a.pkt.sequenceNumber % 10 === 5 ? { ...a, at: a.at + 200 } : a)),
  );
  t.equal(capped.holdMs, 40, 'never more than maxDelayMs');
  t.equal(capped.stats.lost, 10, 'packets later than that are concealed');

  // A calm stretch lets the learnt wait decay back towards one frame.
  const calm = run(
    jb,
    steady(100, 1000).map((a) => ({ ...a, at: a.at + 2000 })),
  );
  t.equal(calm.length, 1000);
  t.ok(jb.holdMs < 25, `after 20 calm seconds the hold is back near one frame (${jb.holdMs.toFixed(1)} ms)`);
});

t.test('interarrival jitter is measured as RFC 3550 does, and widens the hold', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000, maxDelayMs: 200 });
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  // Uniform 0..30 ms extra delay: the mean |D| is 10 ms, the estimate converges to it.
  run(
    jb,
    steady(0, 3000).map((a) => ({ ...a, at: a.at + rnd() * 30 })),
  );
  t.ok(jb.jitter > 7 && jb.jitter < 13, `jitter about 10 ms (${jb.jitter.toFixed(1)})`);
  t.ok(jb.holdMs >= 2 * jb.jitter - 0.001, `hold at least 2 J (${jb.holdMs.toFixed(1)} ms)`);
  t.equal(jb.stats.lost, 0, 'with the hold above the reordering depth, nothing is concealed');
});

t.test('sequence numbers wrap around 65535 without a restart or a loss', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000 });
  const arrivals = steady(65530, 12);
  arrivals[5].at = 110; // 65535 arrives 10 ms late, behind 0
  arrivals[6].at = 105;
  const played = run(jb, arrivals);
  t.same(
    played.map((p) => p.seq),
    [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5],
  );
  t.ok(played.every((p) => p.lost === 0 && !p.restart));
});

t.test('a new SSRC flushes what the old stream held, then starts over with restart set', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000, maxDelayMs: 60 });
  const arrivals = [
    ...steady(10, 5).filter((a) => a.pkt.sequenceNumber !== 12),
    ...steady(5000, 3, 0x9999).map((a) => ({ ...a, at: a.at + 100 })),
  ];
  const played = run(jb, arrivals);
  t.same(
    played.map((p) => [p.seq, p.lost, p.restart]),
    [
      [10, 0, false],
      [11, 0, false],
      [13, 1, false],
      [14, 0, false],
      [5000, 0, true],
      [5001, 0, false],
      [5002, 0, false],
    ],
  );
  t.equal(jb.stats.restarts, 1);
});

t.test('a big sequence jump is a new stream, not thousands of lost frames', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000 });
  const played = run(jb, [...steady(0, 3), ...steady(40000, 3).map((a) => ({ ...a, at: a.at + 60 }))]);
  t.same(
    played.map((p) => [p.seq, p.lost, p.restart]),
    [
      [0, 0, false],
      [1, 0, false],
      [2, 0, false],
      [40000, 0, true],
      [40001, 0, false],
      [40002, 0, false],
    ],
  );
  t.equal(jb.stats.lost, 0);
});

t.test('a sender that restarts its numbering a little lower is followed after a few packets', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000 });
  const played = run(jb, [...steady(100, 10), ...steady(50, 10).map((a) => ({ ...a, at: a.at + 200 }))]);
  const after = played.filter((p) => p.seq < 100);
  t.ok(after.length >= 5, `the restarted stream plays (${after.length} of 10)`);
  t.ok(after[0].restart, 'marked as a restart');
  t.equal(jb.stats.late, 4, 'the first few were taken for late packets');
});

t.test('RFC 4733 packets in the same sequence space are skipped, not concealed', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000 });
  const arrivals = steady(0, 10).filter((a) => a.pkt.sequenceNumber < 3 || a.pkt.sequenceNumber > 5);
  const played = run(
    jb,
    arrivals,
    [3, 4, 5].map((seq) => ({ at: seq * 20, seq })),
  );
  t.same(
    played.map((p) => [p.seq, p.lost]),
    [
      [0, 0],
      [1, 0],
      [2, 0],
      [6, 0],
      [7, 0],
      [8, 0],
      [9, 0],
    ],
  );
  t.ok(
    played.every((p) => p.at === p.arrived),
    'nothing waited',
  );
  t.same(run(new JitterBuffer({ clockRate: 8000 }), [], [{ at: 0, seq: 1, ssrc: 5 }]), [], 'a skip before any audio is ignored');
});

t.test('duplicates are dropped; a long gap is reported once with its length', async (t) => {
  const jb = new JitterBuffer({ clockRate: 8000 });
  const arrivals = [
    { at: 0, pkt: packet(0) },
    { at: 40, pkt: packet(2) },
    { at: 41, pkt: packet(2) },
    { at: 45, pkt: packet(1) },
    { at: 50, pkt: packet(0) },
    ...steady(13, 3).map((a) => ({ ...a, at: a.at + 260 })),
  ];
  const played = run(jb, arrivals);
  t.same(
    played.map((p) => [p.seq, p.lost]),
    [
      [0, 0],
      [1, 0],
      [2, 0],
      [13, 10],
      [14, 0],
      [15, 0],
    ],
  );
  t.equal(jb.stats.duplicate, 1, 'a copy of a held packet is a duplicate');
  t.equal(jb.stats.late, 1, 'a copy of a played one is late');
  t.equal(jb.stats.lost, 10);
});

for (const [label, ratio] of [
  ['fast', 1 / 1.005],
  ['slow', 1.005],
] as const) {
  t.test(`a sender clock 0.5% ${label}, with jitter: nothing accumulates over 10 minutes`, async (t) => {
    // The buffer plays on arrival, so a sender's clock can neither fill it nor run it dry: the
    // drift is left to the consumer's own clock (the far end's playout, or our mixer's queue).
    const jb = new JitterBuffer({ clockRate: 8000, maxDelayMs: 60 });
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const arrivals = steady(0, 30000).map((a) => ({ ...a, at: a.at * ratio + rnd() * 10 }));
    const played = run(jb, arrivals);
    t.equal(played.length, 30000, 'every packet played');
    t.equal(jb.stats.lost + jb.stats.late, 0, 'none concealed, none late');
    const lastMinute = played.slice(-3000).map((p) => p.at - p.arrived);
    t.ok(
      Math.max(...lastMinute) <= jb.maxDelayMs,
      `in the tenth minute no packet waited more than the cap (${Math.max(...lastMinute).toFixed(1)} ms)`,
    );
  });
}
