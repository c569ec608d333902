import t from 'tap';
import { FrameClock } from '../../../media/frame-clock.js';

// The clock is measured against spans of wall-clock time: these sleeps are the test.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('ticks every 20 ms without drifting', async (t) => {
  const clock = new FrameClock();
  t.teardown(() => clock.stop());
  let ticks = 0;
  const start = performance.now();
  clock.start(() => ticks++);
  await sleep(1000);
  clock.stop();
  const expected = (performance.now() - start) / 20;
  t.ok(Math.abs(ticks - expected) <= 2, `${ticks} ticks in ${(expected * 20).toFixed(0)} ms`);
  const n = ticks;
  await sleep(60);
  t.equal(ticks, n, 'no ticks after stop');
});

t.test('catches up a few frames after a stall, then resynchronises', async (t) => {
  const clock = new FrameClock();
  t.teardown(() => clock.stop());
  const times: number[] = [];
  clock.start(() => times.push(performance.now()));
  await sleep(50);
  const block = performance.now() + 300;
  while (performance.now() < block); // a blocked event loop for 300 ms
  await sleep(100);
  clock.stop();
  const burst = times.filter((x) => x >= block && x < block + 5).length;
  t.ok(burst >= 2 && burst <= 5, `a bounded burst after the stall (${burst})`);
});

t.test('stopping and restarting from inside a tick leaves exactly one timer', async (t) => {
  const clock = new FrameClock();
  t.teardown(() => clock.stop());
  let a = 0;
  let b = 0;
  clock.start(() => {
    a++;
    clock.stop();
    clock.start(() => b++);
  });
  await sleep(230);
  clock.stop();
  t.equal(a, 1);
  t.ok(b >= 8 && b <= 12, `second callback ticks at 20 ms (${b} in ~200 ms)`);
});
