import t from 'tap';
import { RtpSender } from '../../../media/endpoints/rtp-sender.js';
import { RtcpReporter } from '../../../media/endpoints/rtcp-reporter.js';

function parse(b: Buffer) {
  return { pt: b[1] & 0x7f, marker: (b[1] & 0x80) !== 0, seq: b.readUInt16BE(2), ts: b.readUInt32BE(4), ssrc: b.readUInt32BE(8), payload: b.subarray(12) };
}

t.test('forwarded streams are rewritten onto one continuous line across SSRC and sequence changes', async (t) => {
  const out: ReturnType<typeof parse>[] = [];
  const s = new RtpSender(0xabcdef, (b) => out.push(parse(Buffer.from(b))), new RtcpReporter(0xabcdef));
  t.teardown(() => s.close());
  s.setClockRate(8000);
  const pkt = (ssrc: number, seq: number, ts: number) => ({ payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc, marker: false, payload: Buffer.from([seq & 0xff]) });
  for (let i = 0; i < 5; i++) s.forward(pkt(1, 65533 + i, 4294967000 + i * 160), 8); // wraps seq and ts
  for (let i = 0; i < 5; i++) s.forward(pkt(2, 100 + i, 777 + i * 160), 8); // new source
  s.forward(pkt(2, 110, 777 + 10 * 160), 8); // five packets lost upstream
  // Sent back to back, before any assertion: the sender reads a pause longer than a packet as
  // silence, and a loaded machine can stretch the assertions between two calls that far.
  s.forward(pkt(2, 5000, 777 + 4000 * 160), 8);
  // a late packet of the current source does not drag the line back
  s.forward(pkt(2, 107, 777 + 7 * 160), 8);
  t.equal(out.length, 13);
  t.ok(out.every((p) => p.ssrc === 0xabcdef && p.pt === 8), 'our SSRC and the negotiated payload type');
  for (let i = 1; i < 10; i++) {
    t.equal((out[i].seq - out[i - 1].seq) & 0xffff, 1, `seq continuous at ${i}`);
    t.equal((out[i].ts - out[i - 1].ts) >>> 0, 160, `ts continuous at ${i}`);
  }
  t.equal((out[10].seq - out[9].seq) & 0xffff, 6, 'a gap in the source stays a gap (far end conceals it)');
  t.same(out.slice(0, 11).map((p) => p.payload[0]), [253, 254, 255, 0, 1, 100, 101, 102, 103, 104, 110]);
  t.equal((out[11].ts - out[10].ts) >>> 0, 160, 'a jump of minutes is a new talk spurt, not a hole');
  t.ok(((out[12].seq - out[11].seq) & 0xffff) === 1, 'late packet re-anchored ahead');
});
