import t from 'tap';
import { RtpSender } from '../../../media/endpoints/rtp-sender.js';
import { RtcpReporter } from '../../../media/endpoints/rtcp-reporter.js';
import type { CodecSpec } from '../../../media/types.js';

function parse(b: Buffer) {
  return {
    pt: b[1] & 0x7f,
    marker: (b[1] & 0x80) !== 0,
    seq: b.readUInt16BE(2),
    ts: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    payload: b.subarray(12),
  };
}

t.test('forwarded streams are rewritten onto one continuous line across SSRC and sequence changes', async (t) => {
  const out: ReturnType<typeof parse>[] = [];
  const s = new RtpSender(0xabcdef, (h, p) => out.push(parse(Buffer.concat([h, p]))), new RtcpReporter(0xabcdef));
  t.teardown(() => s.close());
  s.setClockRate(8000);
  const pkt = (ssrc: number, seq: number, ts: number) => ({
    payloadType: 0,
    sequenceNumber: seq & 0xffff,
    timestamp: ts >>> 0,
    ssrc,
    marker: false,
    payload: Buffer.from([seq & 0xff]),
  });
  for (let i = 0; i < 5; i++) s.forward(pkt(1, 65533 + i, 4294967000 + i * 160), 8); // wraps seq and ts
  for (let i = 0; i < 5; i++) s.forward(pkt(2, 100 + i, 777 + i * 160), 8); // new source
  s.forward(pkt(2, 110, 777 + 10 * 160), 8); // five packets lost upstream
  // Sent back to back, before any assertion: the sender reads a pause longer than a packet as
  // silence, and a loaded machine can stretch the assertions between two calls that far.
  s.forward(pkt(2, 5000, 777 + 4000 * 160), 8);
  // a late packet of the current source does not drag the line back
  s.forward(pkt(2, 107, 777 + 7 * 160), 8);
  t.equal(out.length, 13);
  t.ok(
    out.every((p) => p.ssrc === 0xabcdef && p.pt === 8),
    'our SSRC and the negotiated payload type',
  );
  for (let i = 1; i < 10; i++) {
    t.equal((out[i].seq - out[i - 1].seq) & 0xffff, 1, `seq continuous at ${i}`);
    t.equal((out[i].ts - out[i - 1].ts) >>> 0, 160, `ts continuous at ${i}`);
  }
  t.equal((out[10].seq - out[9].seq) & 0xffff, 6, 'a gap in the source stays a gap (far end conceals it)');
  t.same(
    out.slice(0, 11).map((p) => p.payload[0]),
    [253, 254, 255, 0, 1, 100, 101, 102, 103, 104, 110],
  );
  t.equal((out[11].ts - out[10].ts) >>> 0, 160, 'a jump of minutes is a new talk spurt, not a hole');
  t.ok(((out[12].seq - out[11].seq) & 0xffff) === 1, 'late packet re-anchored ahead');
});

// Digits relayed back to back (browser RFC 4733 ends, or SIP INFO digits a few ms apart) used to
// start their packet trains at once: the trains interleaved on the wire with two timestamps, and
// a receiver keyed on the timestamp (baresip, RFC 4733 §2.5.1.2) saw 1,2,1,2 or a 2 twice.
t.test('digits sent back to back go out one after the other: one timestamp and one marker per digit', async (t) => {
  const out: ReturnType<typeof parse>[] = [];
  const s = new RtpSender(0x1234, (h, p) => out.push(parse(Buffer.concat([h, p]))), new RtcpReporter(0x1234));
  t.teardown(() => s.close());
  s.setClockRate(8000);
  const te: CodecSpec = { name: 'telephone-event', payloadType: 101, clockRate: 8000, channels: 1 };
  s.sendDtmf(te, '1', 100);
  s.sendDtmf(te, '2', 100);
  s.sendDtmf(te, '#', 160);
  const until = Date.now() + 10000;
  while (out.filter((p) => (p.payload[1]! & 0x80) !== 0).length < 9 && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 150)); // nothing more may follow
  const events = '0123456789*#';
  // the digits in wire order, a new run whenever the timestamp changes (what the far end counts)
  const runs: { digit: string; ts: number; packets: typeof out }[] = [];
  for (const p of out) {
    const last = runs.at(-1);
    if (last && last.ts === p.ts) last.packets.push(p);
    else runs.push({ digit: events[p.payload[0]!]!, ts: p.ts, packets: [p] });
  }
  t.same(
    runs.map((r) => r.digit),
    ['1', '2', '#'],
    `one run of packets per digit, in order (${runs.map((r) => r.digit).join(',')})`,
  );
  for (const r of runs) {
    t.ok(
      r.packets.every((p) => events[p.payload[0]!] === r.digit),
      `digit ${r.digit}: every packet of its timestamp carries it`,
    );
    t.same(
      r.packets.map((p) => p.marker),
      r.packets.map((_, i) => i === 0),
      `digit ${r.digit}: marker on its first packet only`,
    );
    t.equal(r.packets.filter((p) => (p.payload[1]! & 0x80) !== 0).length, 3, `digit ${r.digit}: three end packets, last`);
    t.ok(
      r.packets.slice(-3).every((p) => (p.payload[1]! & 0x80) !== 0),
      `digit ${r.digit}: the end packets close its run`,
    );
  }
  for (let i = 1; i < runs.length; i++) {
    const prev = runs[i - 1]!;
    const duration = prev.packets.at(-1)!.payload.readUInt16BE(2);
    t.ok(
      ((runs[i]!.ts - prev.ts) | 0) >= duration,
      `digit ${runs[i]!.digit} starts after digit ${prev.digit} ended on the timestamp line`,
    );
  }
  for (let i = 1; i < out.length; i++) t.equal((out[i]!.seq - out[i - 1]!.seq) & 0xffff, 1, `seq continuous at ${i}`);
});

t.test('a late burst keeps the audio continuous; a real pause moves the timestamp on by its length', async (t) => {
  const out: ReturnType<typeof parse>[] = [];
  const s = new RtpSender(0x1234, (h, p) => out.push(parse(Buffer.concat([h, p]))), new RtcpReporter(0x1234));
  t.teardown(() => s.close());
  s.setClockRate(8000);
  // the sender reads the wall clock; the test sets it, so a loaded machine cannot stretch the gaps
  const realNow = Date.now;
  let now = realNow();
  Date.now = () => now;
  t.teardown(() => {
    Date.now = realNow;
  });
  const send = (): void => s.sendPayload(0, Buffer.alloc(80), 80); // 10 ms of PCMU
  send();
  now += 10;
  send();
  now += 90; // the worker stalled 90 ms, then sends what it queued
  send();
  send();
  now += 400; // the source went silent for 400 ms
  send();
  const steps = out.slice(1).map((p, i) => (p.ts - out[i]!.ts) >>> 0);
  t.same(steps.slice(0, 3), [80, 80, 80], 'no gap put into audio that was only sent late');
  t.equal(steps[3], 3200, 'a 400 ms pause moves the line on by 400 ms');
});
