import t from 'tap';
import { until } from '../../helpers/wait.js';
import { MediaOverloadError } from '../../../media/index.js';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { peerOffer } from './peer-sdp.js';
import { openSession, sdpPort, sharedMediaServer, sleep, startMediaServer } from './server-fixture.js';
import type { CodecSpec } from '../../../media/types.js';

const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };

// The subtests that need no particular settings share one media server, in sessions of their own.
const media = sharedMediaServer(t);

t.test('admission: past maxCallsPerWorker createSession rejects with MediaOverloadError', async (t) => {
  const ms = await startMediaServer(t, { workers: 2, maxCallsPerWorker: 2 });
  const sessions = await Promise.all([1, 2, 3, 4].map(() => ms.createSession()));
  t.equal(ms.stats().workers, 2);
  await t.rejects(ms.createSession(), MediaOverloadError);
  await sessions[0].close();
  const again = await ms.createSession();
  t.ok(again.id, 'a freed slot admits a new call');
  t.equal(ms.stats().sessions, 4);
});

t.test('outbound leg: createOffer + setRemoteAnswer, then media flows to the answerer', async (t) => {
  const ms = await media();
  const peer = await RtpPeer.start();
  t.teardown(() => peer.close());
  const s = await openSession(t, ms);
  const ep = await s.createEndpoint('rtp');
  const offerSdp = await ep.createOffer({ codecs: ['PCMU', 'opus'] });
  t.match(offerSdp, /m=audio \d+ RTP\/AVP 0 111 101 110/);
  await ep.setRemoteAnswer(peerOffer(peer.port, 'PCMU'));
  const pb = await s.createEndpoint('rtp');
  const src = await RtpPeer.start();
  t.teardown(() => src.close());
  const ansB = await pb.answer(peerOffer(src.port, 'PCMU'));
  await s.bridge(pb, ep);
  await src.send({ remote: { address: '127.0.0.1', port: sdpPort(ansB) }, codec: PCMU, toneHz: 800, durationMs: 300 });
  t.ok((await peer.reportWhen((r) => r.packets.length >= 15)).packets.length >= 14, 'answerer receives the bridged audio');
});

t.test('an endpoint made with its offer (one worker round trip): the offer is its own, and media flows on it', async (t) => {
  const ms = await media();
  const peer = await RtpPeer.start();
  t.teardown(() => peer.close());
  const s = await openSession(t, ms);
  const ep = await s.createEndpoint('rtp', { withOffer: true });
  const offerSdp = await ep.createOffer();
  t.match(offerSdp, /m=audio \d+ RTP\/AVP /);
  t.equal(sdpPort(await ep.createOffer()), sdpPort(offerSdp), 'a second offer (asked of the worker) names the same port');
  await ep.setRemoteAnswer(peerOffer(peer.port, 'PCMU'));
  const pb = await s.createEndpoint('rtp');
  const src = await RtpPeer.start();
  t.teardown(() => src.close());
  const ansB = await pb.answer(peerOffer(src.port, 'PCMU'));
  await s.bridge(pb, ep);
  await src.send({ remote: { address: '127.0.0.1', port: sdpPort(ansB) }, codec: PCMU, toneHz: 800, durationMs: 300 });
  t.ok((await peer.reportWhen((r) => r.packets.length >= 15)).packets.length >= 14, 'the answerer receives the bridged audio');
  t.equal(ms.stats().endpoints, 2);
});

t.test('media timeout: a silent sending peer fails the endpoint; a held one does not', async (t) => {
  const ms = await startMediaServer(t, { rtpTimeoutMs: 400 });
  const s = await ms.createSession();
  const a = await s.createEndpoint('rtp');
  const b = await s.createEndpoint('rtp');
  await a.answer(peerOffer(9, 'PCMU'));
  await b.answer(peerOffer(9, 'PCMU', { direction: 'inactive' }));
  const failedA: string[] = [];
  const failedB: string[] = [];
  a.on('failed', (why) => failedA.push(why));
  b.on('failed', (why) => failedB.push(why));
  await until(() => failedA.length > 0, { timeoutMs: 5000 });
  await sleep(100); // the test: the held side stays up past the silent one's timeout
  t.equal(failedA.length, 1, `silent peer -> failed (${failedA[0]})`);
  t.equal(failedB.length, 0, 'inactive (held) peer is not timed out');
});

t.test('a worker that dies is reported, its calls close, and a new worker takes calls', async (t) => {
  const ms = await startMediaServer(t, { workers: 1 });
  const s = await ms.createSession();
  const ep = await s.createEndpoint('rtp');
  const died = new Promise<Error>((r) => ms.once('worker-died', r));
  const closed = new Promise<void>((r) => s.once('closed', () => r()));
  const epFailed = new Promise<string>((r) => ep.once('failed', r));
  // Kill the worker from inside: a request it cannot survive is not available, so terminate it the hard way.
  const handle = (ms as unknown as { workers: { terminate(): Promise<void>; stopping: boolean }[] }).workers[0];
  await (handle as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  t.match((await died).message, /exited/);
  await closed;
  t.equal(await epFailed, 'media worker died');
  await until(() => ms.stats().workers === 1, { timeoutMs: 10000 }); // the replacement worker is up
  const s2 = await ms.createSession();
  const ep2 = await s2.createEndpoint('rtp');
  t.match(await ep2.answer(peerOffer(9, 'PCMU')), /m=audio \d+ RTP\/AVP 0/);
});

// The worker sends through the UDP addon when it is built, through dgram otherwise (or with
// SWITCHBOARD_UDP_NATIVE=0): latching and the connected socket must behave alike on both paths.
async function startWith(t: Parameters<typeof startMediaServer>[0], via: 'native' | 'dgram') {
  const saved = process.env.SWITCHBOARD_UDP_NATIVE;
  process.env.SWITCHBOARD_UDP_NATIVE = via === 'native' ? '1' : '0';
  try {
    return await startMediaServer(t); // the worker takes a copy of the environment when it starts
  } finally {
    if (saved === undefined) delete process.env.SWITCHBOARD_UDP_NATIVE;
    else process.env.SWITCHBOARD_UDP_NATIVE = saved;
  }
}

// One media server per send path for the file, each subtest in sessions of its own.
const byVia = new Map<'native' | 'dgram', ReturnType<typeof startWith>>();
function mediaVia(via: 'native' | 'dgram'): ReturnType<typeof startWith> {
  let started = byVia.get(via);
  if (!started) {
    started = startWith(t, via);
    byVia.set(via, started);
  }
  return started;
}

for (const via of ['native', 'dgram'] as const) {
  t.test(`symmetric RTP (${via} sends): media goes back to where the peer really sends from (NAT)`, async (t) => {
    const ms = await mediaVia(via);
    const peer = await RtpPeer.start();
    t.teardown(() => peer.close());
    const s = await openSession(t, ms);
    const ep = await s.createEndpoint('rtp');
    // The SDP names a private address/port the peer is not reachable at.
    const ans = await ep.answer(peerOffer(9, 'PCMU', { address: '127.0.0.2' }));
    await s.echo(ep);
    await peer.send({ remote: { address: '127.0.0.1', port: sdpPort(ans) }, codec: PCMU, toneHz: 500, durationMs: 400 });
    const got = (await peer.reportWhen((r) => r.packets.length >= 20)).packets.length;
    t.ok(got >= 16, `echo reached the real source address (${got} of 20 packets; the first ones prove the source)`);
  });

  t.test(`symmetric RTP (${via} sends): a second source takes over only once the latched one went quiet`, async (t) => {
    const ms = await mediaVia(via);
    const first = await RtpPeer.start();
    const second = await RtpPeer.start();
    t.teardown(() => {
      first.close();
      second.close();
    });
    const s = await openSession(t, ms);
    const ep = await s.createEndpoint('rtp');
    const ans = await ep.answer(peerOffer(9, 'PCMU', { address: '127.0.0.2' }));
    await s.echo(ep);
    const to = { address: '127.0.0.1', port: sdpPort(ans) };
    // Both talk at once: the first latches, the second's packets are not echoed anywhere.
    const both = Promise.all([
      first.send({ remote: to, codec: PCMU, toneHz: 500, durationMs: 600 }),
      sleep(200).then(() => second.send({ remote: to, codec: PCMU, toneHz: 700, durationMs: 300 })),
    ]);
    await both;
    const firstHeard = (await first.reportWhen((r) => r.packets.length >= 20)).packets.length;
    t.ok(firstHeard >= 20, `the latched source hears its echo (${firstHeard} packets)`);
    await sleep(300);
    t.equal((await second.report()).packets.length, 0, 'a second source does not take over while the first talks');
    // The first has been quiet for over a second: the second takes over, and the first, back while
    // the second talks, does not take it back.
    await sleep(1000);
    first.reset();
    await Promise.all([
      second.send({ remote: to, codec: PCMU, toneHz: 700, durationMs: 600 }),
      sleep(200).then(() => first.send({ remote: to, codec: PCMU, toneHz: 500, durationMs: 200 })),
    ]);
    const got = (await second.reportWhen((r) => r.packets.length >= 20)).packets.length;
    t.ok(got >= 20, `the echo follows the new source (${got} packets)`);
    t.equal((await first.report()).packets.length, 0, 'and the old source does not take it back while the new one talks');
  });
}

t.test('admission also follows the measured worker load', async (t) => {
  // Any measurable event-loop utilisation is "too busy" here, so the worker's own load reports refuse the call.
  const ms = await startMediaServer(t, { workers: 1, maxWorkerUtilization: 1e-9 });
  const first = await ms.createSession(); // before the first load report: admitted
  await first.createEndpoint('rtp');
  await until(() => ms.workerLoad()[0]!.elu > 0, { timeoutMs: 10000 }); // the first load report
  t.ok(ms.workerLoad()[0].elu > 0, `worker reported its utilisation (${ms.workerLoad()[0].elu.toFixed(4)})`);
  await t.rejects(ms.createSession(), { name: 'MediaOverloadError' });
});
