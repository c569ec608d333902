import t from 'tap';
import { ForwardGate } from '../../../media/endpoints/forward-gate.js';

t.test('pass-through forwards packets ahead of the newest only; a restarted sender is followed', async (t) => {
  const g = new ForwardGate();
  const admitted = (seqs: number[], ssrc = 1) => seqs.filter((s) => g.admit(ssrc, s));
  t.same(admitted([10, 11, 13, 12, 14]), [10, 11, 13, 14], 'the reordered 12 is not sent after 13');
  t.same(admitted([14, 15]), [15], 'a duplicate is not sent twice');
  t.same(admitted([65534, 65535, 0, 1], 3), [65534, 65535, 0, 1], 'numbers wrap');
  t.same(admitted([500, 501, 502, 503], 3), [500, 501, 502, 503], 'a jump ahead is simply newer');
  t.same(admitted([100, 101, 102, 103], 3), [102, 103], 'numbers restarted lower: followed from the third packet');
  t.same(admitted([7, 8], 2), [7, 8], 'a new SSRC starts fresh');
  g.note(2, 9);
  g.note(2, 10);
  t.same(admitted([11, 10], 2), [11], 'numbers used by RFC 4733 events keep their place');
});
