import t from 'tap';
import { Packetizer, sendPtime } from '../../../media/endpoints/packetizer.js';
import type { CodecSpec } from '../../../media/types.js';

const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const OPUS: CodecSpec = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };

t.test('the ptime we send: what the peer asked for when we can cut it, else 20 ms', async (t) => {
  t.same(
    [10, 20, 30, 40, 50, 60].map((p) => sendPtime(PCMU, p)),
    [10, 20, 30, 40, 50, 60],
    'G.711: any 10 ms multiple to 60',
  );
  t.same(
    [undefined, 0, 5, 25, 70, 120, 22.5].map((p) => sendPtime(PCMU, p)),
    [20, 20, 20, 20, 20, 20, 20],
    'G.711: the rest stays 20',
  );
  t.same(
    [10, 20, 40, 60].map((p) => sendPtime(OPUS, p)),
    [10, 20, 40, 60],
    'Opus: its own frame sizes',
  );
  t.same(
    [30, 50, 120].map((p) => sendPtime(OPUS, p)),
    [20, 20, 20],
    'Opus: no 30, 50 or 120 ms frames',
  );
});

t.test('20 ms frames re-cut into 30 ms packets, in order, nothing lost or repeated', async (t) => {
  const p = new Packetizer(240);
  const out: Int16Array[] = [];
  let v = 0;
  for (let f = 0; f < 9; f++)
    p.push(
      Int16Array.from({ length: 160 }, () => v++),
      (pkt) => out.push(Int16Array.from(pkt)),
    );
  t.equal(out.length, 6, '180 ms of frames make six 30 ms packets');
  t.ok(out.every((pkt) => pkt.length === 240));
  t.same(
    Array.from(out.flatMap((pkt) => Array.from(pkt))),
    Array.from({ length: 1440 }, (_, i) => i),
    'the samples in order',
  );
  p.push(new Int16Array(160), () => t.fail('half a packet is held'));
  p.reset();
  const after: number[] = [];
  p.push(new Int16Array(160), (pkt) => after.push(pkt.length));
  p.push(new Int16Array(160), (pkt) => after.push(pkt.length));
  t.same(after, [240], 'reset dropped what was held');
});
