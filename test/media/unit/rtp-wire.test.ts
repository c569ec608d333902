import t from 'tap';
import { RtpPacket } from 'rtp.js/packets';
import { dataViewToNodeBuffer } from 'rtp.js/utils';
import { isWellFormedRtcp, readRtp } from '../../../media/endpoints/rtp-wire.js';
import { RtcpReporter } from '../../../media/endpoints/rtcp-reporter.js';

t.test('readRtp reads what rtp.js writes, payload without padding', async (t) => {
  const p = new RtpPacket();
  p.setPayloadType(111);
  p.setMarker(true);
  p.setSequenceNumber(65535);
  p.setTimestamp(0xfffffff0);
  p.setSsrc(0xdeadbeef);
  p.setPayload(new DataView(new Uint8Array([1, 2, 3, 4, 5]).buffer));
  p.padTo4Bytes();
  p.serialize();
  const buf = Buffer.from(dataViewToNodeBuffer(p.getView()));
  const info = readRtp(buf);
  t.ok(info);
  t.same(
    { ...info, payload: [...info!.payload] },
    { payloadType: 111, marker: true, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payload: [1, 2, 3, 4, 5] },
  );
});

t.test('readRtp skips CSRCs and a header extension', async (t) => {
  const buf = Buffer.from([0x91, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 0xaa, 0xbb]);
  const info = readRtp(buf);
  t.same([...info!.payload], [0xaa, 0xbb]);
  t.equal(info!.sequenceNumber, 7);
});

t.test('readRtp refuses what is not well-formed RTP', async (t) => {
  const bad = [
    [],
    [0x80],
    [0x80, 0],
    Array(11).fill(0x80),
    [0x40, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1], // version 1
    [0x81, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1], // a CSRC that is not there
    [0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde], // extension header cut short
    [0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 2, 0, 0, 0, 0], // extension longer than the packet
    [0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9, 0], // zero padding count
    [0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9, 9], // padding longer than the payload
  ];
  for (const b of bad) t.equal(readRtp(Buffer.from(b)), undefined, JSON.stringify(b));
});

t.test('RTCP: a report we build passes, short and inconsistent ones do not (and never throw)', async (t) => {
  const r = new RtcpReporter(1234);
  const report = r.build();
  t.ok(isWellFormedRtcp(report));
  t.ok(new RtcpReporter(5).onRtcp(report), 'the reporter takes it');
  for (const b of [
    [],
    [0x80],
    [0x80, 200],
    [0x80, 200, 0, 1, 0, 0, 0],
    [0x80, 200, 0, 9, 0, 0, 0, 1],
    [0x80, 100, 0, 1, 0, 0, 0, 1],
    [0x80, 201, 0xff, 0xff, 0, 0, 0, 1],
  ]) {
    t.notOk(isWellFormedRtcp(Buffer.from(b)), JSON.stringify(b));
    t.notOk(new RtcpReporter(5).onRtcp(Buffer.from(b)));
  }
  t.notOk(isWellFormedRtcp(Buffer.concat([report, Buffer.from([0x80, 202, 0, 5])])), 'a second packet cut short');
});
