/**
 * A freshly started media server takes its first calls: start() returns once the workers have
 * loaded and warmed up, and the one-time costs of the first calls (codec set-up, DTLS
 * certificate, compilation) do not read as saturation to admission control.
 */
import t from 'tap';
import { WeriftClient } from '../../media/webrtc/werift-client.js';
import { peerOffer } from './peer-sdp.js';
import { peers, sleep, startMediaServer } from './server-fixture.js';

const CALLS = 6;
/** Spreads the calls over several of the worker's 500 ms load reports. */
const PACE_MS = 300;

t.test('the first calls on a fresh media server are all admitted', async (t) => {
  const ms = await startMediaServer(t, {
    webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true, stunServers: [], turnServers: [] },
  });
  const phones = await peers(t, CALLS);
  const clients: WeriftClient[] = [];
  t.teardown(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });
  const refused: string[] = [];
  const started = Date.now();
  for (let i = 0; i < CALLS; i++) {
    let session: Awaited<ReturnType<typeof ms.createSession>>;
    try {
      session = await ms.createSession();
    } catch (err) {
      refused.push(`call ${i + 1} at ${Date.now() - started} ms: ${(err as Error).message} ${JSON.stringify(ms.workerLoad())}`);
      await sleep(PACE_MS);
      continue;
    }
    // A browser leg bridged to a phone leg: the heaviest first call there is (Opus <-> PCMU, DTLS).
    const client = new WeriftClient();
    clients.push(client);
    const browser = await session.createEndpoint('webrtc');
    const phone = await session.createEndpoint('rtp');
    await client.accept(await browser.answer(await client.offer()));
    await phone.answer(peerOffer(phones[i].port, 'PCMU'));
    await session.bridge(browser, phone);
    await client.connected();
    await sleep(PACE_MS);
  }
  t.same(refused, [], `all ${CALLS} calls admitted`);
  t.equal(ms.stats().sessions, CALLS - refused.length);
  t.ok(Date.now() - started > 1000, 'the calls spanned more than one load report');
});
