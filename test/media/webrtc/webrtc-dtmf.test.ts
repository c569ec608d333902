/** RFC 4733 on WebRTC legs: receiver de-duplication and loss, sender packet train, outbound RTP clock. */
import t from 'tap';
import { until } from '../../helpers/wait.js';
import { TelephoneEventReceiver, buildTelephoneEvent, parseTelephoneEvent } from '../../../media/endpoints/webrtc-dtmf.js';
import { DtmfSender } from '../../../media/endpoints/webrtc-dtmf-sender.js';
import { RtpOutboundClock, FRAME_TICKS } from '../../../media/endpoints/webrtc-rtp-clock.js';
import type { DtmfEvent } from '../../../media/types.js';

const ev = (event: number, end: boolean, duration: number) => buildTelephoneEvent({ event, end, volume: 10, duration });

t.test('payload round trip', async (t) => {
  t.same(parseTelephoneEvent(ev(11, true, 4800)), { event: 11, end: true, volume: 10, duration: 4800 });
  t.equal(parseTelephoneEvent(Buffer.from([1, 2])), undefined, 'short payload ignored');
});

t.test('one digit per press, End retransmissions ignored, clock rate respected', async (t) => {
  const got: DtmfEvent[] = [];
  const rx = new TelephoneEventReceiver(8000, (e) => got.push(e));
  rx.push(1000, ev(5, false, 160));
  rx.push(1000, ev(5, false, 320));
  for (let i = 0; i < 3; i++) rx.push(1000, ev(5, true, 800));
  t.same(got, [{ digit: '5', durationMs: 100, source: 'rfc4733' }]);
  rx.push(1000, ev(5, true, 800)); // late duplicate
  t.equal(got.length, 1);
});

t.test('a digit whose End packets were all lost is reported when the next one starts', async (t) => {
  const got: string[] = [];
  const rx = new TelephoneEventReceiver(48000, (e) => got.push(e.digit));
  rx.push(5000, ev(1, false, 960));
  rx.push(5000, ev(1, false, 1920));
  rx.push(9000, ev(2, false, 960));
  t.same(got, ['1']);
  rx.push(9000, ev(2, true, 4800));
  t.same(got, ['1', '2']);
  rx.push(12000, ev(99, true, 4800)); // unknown event
  t.same(got, ['1', '2']);
});

t.test('sender: marker first, growing duration, three End packets, queued digits do not overlap', async (t) => {
  const sent: Array<{ p: ReturnType<typeof parseTelephoneEvent>; marker: boolean; ts: number }> = [];
  const tx = new DtmfSender((payload, marker, ts) => sent.push({ p: parseTelephoneEvent(payload), marker, ts }));
  t.teardown(() => tx.close());
  const span1 = tx.send('7', 100, 1000);
  const span2 = tx.send('#', 60, 1000);
  t.equal(span1, 100 * 48 + 60 * 48, 'first digit plus gap');
  t.ok(span2 > span1, 'second digit placed after the first');
  t.equal(tx.send('x', 100, 1000), 0, 'not a DTMF key');
  // both digits are done once six End packets (three each) went out
  await until(() => sent.filter((s) => s.p?.end).length >= 6, { timeoutMs: 5000 });
  const first = sent.filter((s) => s.ts === 1000);
  const second = sent.filter((s) => s.ts !== 1000);
  t.ok(first[0]!.marker && !first[1]!.marker);
  t.equal(first.filter((s) => s.p!.end).length, 3);
  t.equal(first.at(-1)!.p!.duration, 4800);
  t.ok(first.every((s) => s.p!.event === 7));
  t.equal(second[0]!.ts, 1000 + span1, 'second event starts after the first and its gap');
  t.equal(second.filter((s) => s.p!.end).length, 3);
  t.equal(second[0]!.p!.event, 11);
});

t.test('outbound clock: continuous across forwarded sources, keeps a source spacing', async (t) => {
  const c = new RtpOutboundClock();
  const a = c.frame();
  const b = c.frame();
  t.equal((b - a) >>> 0, FRAME_TICKS);
  const f1 = c.forwarded(7, 100000);
  t.equal((f1 - b) >>> 0, FRAME_TICKS, 'new source continues the line');
  const f2 = c.forwarded(7, 100000 + 3 * FRAME_TICKS);
  t.equal((f2 - f1) >>> 0, 3 * FRAME_TICKS, 'silence gap of the source kept');
  const f3 = c.forwarded(9, 5);
  t.equal((f3 - f2) >>> 0, FRAME_TICKS, 'source change: one frame on');
  const s1 = c.nextSequence();
  t.equal(c.nextSequence(), (s1 + 1) & 0xffff);
});

// Chromium's train for "1" then "2" at 48 kHz, with loopback reordering: a late End of "1" after
// "2" ended, and late packets of a digit reported by the next one's start (its Ends all lost).
t.test('late or reordered packets of a digit already reported are not a new press', async (t) => {
  const got: string[] = [];
  const rx = new TelephoneEventReceiver(48000, (e) => got.push(e.digit));
  const pkt = (event: number, end: boolean, duration: number) => buildTelephoneEvent({ event, end, volume: 10, duration });
  rx.push(1000, pkt(1, false, 960));
  rx.push(1000, pkt(1, false, 1920));
  for (let i = 0; i < 3; i++) rx.push(1000, pkt(1, true, 4800));
  rx.push(9000, pkt(2, false, 960));
  for (let i = 0; i < 2; i++) rx.push(9000, pkt(2, true, 4800));
  rx.push(1000, pkt(1, true, 4800)); // late End retransmission of "1", after "2" ended
  rx.push(9000, pkt(2, true, 4800));
  rx.push(20000, pkt(3, false, 960)); // "3": every End lost
  rx.push(30000, pkt(4, false, 960)); // "4" starts: "3" is reported
  rx.push(20000, pkt(3, false, 1920)); // a late update of "3"
  for (let i = 0; i < 3; i++) rx.push(30000, pkt(4, true, 4800));
  rx.flush();
  t.same(got, ['1', '2', '3', '4'], 'one event per digit');
});
