import t from 'tap';
import {
  decodeTelephoneEvent,
  digitToEvent,
  encodeTelephoneEvent,
  eventToDigit,
  rfc4733Packets,
  Rfc4733Receiver,
} from '../../../media/dtmf.js';
import type { DtmfEvent, RtpPacketInfo } from '../../../media/types.js';

const ALL = '0123456789*#ABCD';

function rtp(payload: Buffer, timestamp: number, seq: number, marker = false): RtpPacketInfo {
  return { payloadType: 101, sequenceNumber: seq, timestamp, ssrc: 42, marker, payload };
}

t.test('event codes and payload layout (RFC 4733 section 2.3)', async (t) => {
  t.same(
    [...ALL].map(digitToEvent),
    Array.from({ length: 16 }, (_, i) => i),
  );
  t.equal(digitToEvent('a'), 12, 'letters are case-insensitive');
  t.equal(digitToEvent('x'), -1);
  t.equal(digitToEvent('12'), -1);
  t.equal(eventToDigit(11), '#');
  t.equal(eventToDigit(16), undefined, 'flash has no digit');
  const b = encodeTelephoneEvent({ event: 5, end: true, volume: 10, duration: 800 });
  t.same([...b], [0x05, 0x8a, 0x03, 0x20]);
  t.same(decodeTelephoneEvent(b), { event: 5, end: true, volume: 10, duration: 800 });
  t.equal(decodeTelephoneEvent(Buffer.from([1, 2])), undefined, 'short payload rejected');
});

t.test('packet train: marker first, 50 ms updates, three end packets', async (t) => {
  const p = rfc4733Packets('7', 200, 8000);
  t.same(
    p.map((x) => [x.marker, decodeTelephoneEvent(x.payload)!.end, x.durationSamples]),
    [
      [true, false, 400],
      [false, false, 800],
      [false, false, 1200],
      [false, true, 1600],
      [false, true, 1600],
      [false, true, 1600],
    ],
  );
  t.ok(p.every((x) => decodeTelephoneEvent(x.payload)!.event === 7));
  const wide = rfc4733Packets('#', 100, 48000);
  t.equal(wide.at(-1)!.durationSamples, 4800, '48 kHz clock');
  t.throws(() => rfc4733Packets('x', 100, 8000));
});

function deliver(rx: Rfc4733Receiver, digit: string, ts: number, seq: number, skip: (i: number) => boolean = () => false) {
  const events: DtmfEvent[] = [];
  rfc4733Packets(digit, 160, 8000).forEach((p, i) => {
    if (skip(i)) return;
    const e = rx.push(rtp(p.payload, ts, seq + i, p.marker));
    if (e) events.push(e);
  });
  return events;
}

t.test('round trip: every digit once per key press, with its duration', async (t) => {
  const rx = new Rfc4733Receiver(8000);
  const got: DtmfEvent[] = [];
  [...ALL].forEach((d, i) => {
    got.push(...deliver(rx, d, 1000 + i * 8000, i * 10));
  });
  t.same(
    got.map((e) => e.digit),
    [...ALL],
  );
  t.ok(got.every((e) => e.durationMs === 160 && e.source === 'rfc4733'));
});

t.test('lost start packet (no marker seen) still yields the digit', async (t) => {
  const rx = new Rfc4733Receiver(8000);
  const got = deliver(rx, '5', 5000, 1, (i) => i === 0);
  t.same(
    got.map((e) => e.digit),
    ['5'],
  );
});

t.test('same digit twice in a row is two presses (different timestamps); repeats are not', async (t) => {
  const rx = new Rfc4733Receiver(8000);
  const got = [...deliver(rx, '1', 100, 0), ...deliver(rx, '1', 3000, 10)];
  // A late duplicate of the first press's end packet must not count again.
  const late = rx.push(rtp(rfc4733Packets('1', 160, 8000).at(-1)!.payload, 100, 30));
  t.same(
    got.map((e) => e.digit),
    ['1', '1'],
  );
  t.equal(late, undefined);
});

t.test('all end packets lost: the digit is emitted by flush after a timeout, or by the next press', async (t) => {
  const rx = new Rfc4733Receiver(8000);
  const n = rfc4733Packets('9', 160, 8000).length;
  const none = deliver(rx, '9', 700, 0, (i) => i >= n - 3);
  t.same(none, []);
  t.equal(rx.flush(1000), undefined, 'not yet');
  t.equal(rx.flush(1100), undefined, 'not yet');
  const e = rx.flush(1400);
  t.equal(e?.digit, '9');
  t.equal(e?.durationMs, 150, 'duration as far as it was seen');
  t.equal(rx.flush(5000), undefined, 'only once');

  const rx2 = new Rfc4733Receiver(8000);
  deliver(rx2, '3', 700, 0, (i) => i >= n - 3);
  const next = deliver(rx2, '4', 9000, 20);
  const after = rx2.flush(0);
  t.same(
    [...next, ...(after ? [after] : [])].map((x) => x.digit),
    ['3', '4'],
    'open press closed by the next one',
  );
});

t.test('garbage and non-DTMF events are ignored', async (t) => {
  const rx = new Rfc4733Receiver(8000);
  t.equal(rx.push(rtp(Buffer.from([1]), 1, 1)), undefined);
  t.equal(rx.push(rtp(encodeTelephoneEvent({ event: 16, end: true, volume: 0, duration: 100 }), 2, 2)), undefined);
  t.equal(rx.flush(0), undefined);
  t.equal(rx.flush(10000), undefined);
});
