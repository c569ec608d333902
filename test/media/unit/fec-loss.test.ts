/**
 * In-band FEC follows the loss the far end reports: the tracker's policy, the Opus encoder's LBRR
 * frames on and off (read off the packets as a decoder would), and the RTCP reporter reading a
 * far end's report on our stream.
 */
import t from 'tap';
import { FecLossTracker } from '../../../media/endpoints/fec-loss.js';
import { OpusAudioEncoder } from '../../../media/codecs/opus.js';
import { RtcpReporter } from '../../../media/endpoints/rtcp-reporter.js';
import { speechLike } from '../../bench/codec-bench.js';
import { silkFlags } from '../../helpers/opus-lbrr.js';

t.test('tracker: a report is taken at once, its memory halves each second', async (t) => {
  const f = new FecLossTracker(5);
  t.equal(f.percent, 5, 'before any report: the initial expectation');
  t.equal(f.update(undefined, 0), undefined, 'no report, no change');
  t.equal(f.percent, 5);
  t.equal(f.update(0, 1000), 0, 'a first clean report: no FEC');
  t.equal(f.update(0.1, 2000), 10, '10 % reported: at once');
  t.equal(f.update(0.1, 2500), undefined, 'the same report again: unchanged');
  t.equal(f.update(0, 3500), 5, 'a clean report a second later: half');
  t.equal(f.update(0, 4500), 3, '2.5 %');
  t.equal(f.update(0, 5500), 1, '1.25 %');
  t.equal(f.update(0, 6500), 0, 'below 1 %: off');
  t.equal(f.update(0.9, 7000), 25, 'capped at 25 %');
});

t.test('Opus: LBRR frames only while the expected loss is above zero', async (t) => {
  const speech = speechLike(8000, 50);
  const count = (loss: number) => {
    const enc = new OpusAudioEncoder({ pcmRate: 8000, inbandFec: true });
    enc.setPacketLoss(loss);
    let lbrr = 0;
    let vad = 0;
    for (let i = 0; i < 50; i++) {
      const flags = silkFlags(enc.encode(speech[i]!));
      if (flags?.vad) vad++;
      if (flags?.lbrr) lbrr++;
    }
    enc.close();
    return { vad, lbrr };
  };
  const none = count(0);
  const some = count(10);
  t.ok(none.vad > 25, `speech is mostly active (${none.vad} of 50)`);
  t.equal(none.lbrr, 0, 'no loss expected: no FEC');
  t.ok(some.lbrr > 20, `10 % expected: FEC in ${some.lbrr} of 50 (active frames, from the first few on)`);
  const noFec = new OpusAudioEncoder({ pcmRate: 8000 });
  noFec.setPacketLoss(20);
  let lbrr = 0;
  for (const frame of speech) if (silkFlags(noFec.encode(frame))?.lbrr) lbrr++;
  t.equal(lbrr, 0, 'a receiver without useinbandfec=1 never gets FEC, whatever the loss');
});

t.test("RTCP: the far end's report on our stream sets remoteFractionLost", async (t) => {
  const ours = new RtcpReporter(0x1111);
  const far = new RtcpReporter(0x2222);
  t.equal(ours.remoteFractionLost, undefined);
  // the far end received 3 of every 4 of our packets
  for (let seq = 0; seq < 100; seq++) if (seq % 4 !== 3) far.onReceived(0x1111, seq, seq * 160, seq * 20);
  far.onReceived(0x1111, 100, 16000, 2000);
  t.ok(ours.onRtcp(far.build()));
  t.ok(Math.abs(ours.remoteFractionLost! - 0.25) < 0.02, `fraction lost ${ours.remoteFractionLost}`);
  // a report about another source is not about us
  const other = new RtcpReporter(0x3333);
  other.onReceived(0x9999, 1, 0, 0);
  other.onReceived(0x9999, 50, 0, 1000);
  ours.onRtcp(other.build());
  t.ok(Math.abs(ours.remoteFractionLost! - 0.25) < 0.02, 'unchanged');
});
