/**
 * A thousand calls through the worker: created, bridged (PCMU <-> Opus, so codecs are built),
 * carrying packets, closed. Afterwards the worker holds no session, endpoint, port or handle it
 * did not hold before, and its heap is back near where it started.
 */
import t from 'tap';
import { until } from '../../helpers/wait.js';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeMulaw } from '../../../media/codecs/index.js';
import { peerOffer } from './peer-sdp.js';
import { sdpPort, sleep, startMediaServer } from './server-fixture.js';

const CALLS = 1000;
const BATCH = 50;

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function rtpPacket(seq: number): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = 0;
  h.writeUInt16BE(seq, 2);
  h.writeUInt32BE(seq * 160, 4);
  h.writeUInt32BE(0xfeed, 8);
  const pcm = new Int16Array(160).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  return Buffer.concat([h, encodeMulaw(pcm)]);
}

t.test(`${CALLS} bridged calls leave nothing behind`, async (t) => {
  const ms = await startMediaServer(t, { maxCallsPerWorker: BATCH * 2, maxWorkerUtilization: 1, maxWorkerLagMs: 10000 });
  const caller = dgram.createSocket('udp4');
  const callee = dgram.createSocket('udp4');
  caller.bind(0, '127.0.0.1');
  callee.bind(0, '127.0.0.1');
  await Promise.all([once(caller, 'listening'), once(callee, 'listening')]);
  t.teardown(() => {
    caller.close();
    callee.close();
  });
  let arrived = 0;
  callee.on('message', () => arrived++);

  // Warm up (code paths, JIT, codec libraries) before taking the baseline.
  const oneCall = async (i: number): Promise<void> => {
    const s = await ms.createSession();
    const a = await s.createEndpoint('rtp');
    const b = await s.createEndpoint('rtp');
    const ansA = await a.answer(peerOffer(caller.address().port, 'PCMU'));
    await b.answer(peerOffer(callee.address().port, i % 2 ? 'opus' : 'PCMU'));
    await s.bridge(a, b);
    for (let k = 0; k < 3; k++) caller.send(rtpPacket(k + 1), sdpPort(ansA), '127.0.0.1');
    await sleep(40); // the call lasts a moment: packets in flight while it closes are part of the test
    await s.close();
  };
  for (let i = 0; i < BATCH; i++) await oneCall(i);
  await until(async () => (await ms.workerStats()).every((w) => w.sessions === 0));
  gc();
  const [base] = await ms.workerStats({ gc: true });
  const mainHeap0 = process.memoryUsage().heapUsed;
  const mainHandles0 = process.getActiveResourcesInfo().length;
  arrived = 0;

  for (let i = 0; i < CALLS; i += BATCH) {
    await Promise.all(Array.from({ length: BATCH }, (_, k) => oneCall(i + k)));
    t.ok(ms.stats().sessions <= BATCH, 'sessions are released as calls end');
  }
  await until(() => arrived >= CALLS * 2, { timeoutMs: 5000 });
  t.ok(arrived >= CALLS * 2, `packets crossed the bridges (${arrived} of ${CALLS * 3})`);

  const st = ms.stats();
  t.same(
    { sessions: st.sessions, endpoints: st.endpoints },
    { sessions: 0, endpoints: 0 },
    'main thread holds no session or endpoint',
  );
  gc();
  const [after] = await ms.workerStats({ gc: true });
  t.same(
    [
      after.sessions,
      after.endpoints,
      after.bridges,
      after.echoes,
      after.players,
      after.recorders,
      after.mixers,
      after.portsInUse,
    ],
    [0, 0, 0, 0, 0, 0, 0, 0],
    'worker-side object counts and ports back to zero',
  );
  t.equal(ms.stats().portsInUse, 0, 'stats() reports no port in use');
  t.ok(
    after.activeResources <= base.activeResources,
    `no handle left open in the worker (${base.activeResources} -> ${after.activeResources})`,
  );
  const workerGrowth = after.heapUsed - base.heapUsed;
  t.ok(workerGrowth < 8 * 1024 * 1024, `worker heap back near start (+${(workerGrowth / 1048576).toFixed(2)} MiB)`);
  gc();
  const mainGrowth = process.memoryUsage().heapUsed - mainHeap0;
  t.ok(mainGrowth < 8 * 1024 * 1024, `main heap back near start (+${(mainGrowth / 1048576).toFixed(2)} MiB)`);
  t.ok(process.getActiveResourcesInfo().length <= mainHandles0 + 1, 'no handle left open on the main thread');
});
