/**
 * WebRtcEndpoint against headless Chromium (real ICE, DTLS-SRTP, Opus, RTCDTMFSender) on
 * loopback. The fake microphone plays 1 kHz; the endpoint plays 440 Hz.
 */
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { WebRtcEndpoint } from '../../../media/endpoints/webrtc-endpoint.js';
import { udpNative } from '../../../media/endpoints/udp-native.js';
import { configSchema } from '../../../config/schema.js';
import type { AudioFrame, DtmfEvent } from '../../../media/types.js';
import { ChromiumPool } from '../../helpers/chromium.js';
import { servePeerPage } from './peer-page.js';
import { ToneSource, concat, peakFrequency } from './tone.js';

const webrtc = configSchema.parse({ webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true } }).webrtc;
t.setTimeout(170000);
// one Chromium for the file, a fresh context per subtest
const browsers = new ChromiumPool(t);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Inbound {
  packetsReceived: number;
  totalAudioEnergy: number;
  codec: string;
}

async function setup(
  t: Test,
  direction: 'browser-offers' | 'endpoint-offers',
  opts: { hideBrowserCandidates?: boolean; maxPlaybackRate?: 8000 } = {},
) {
  const site = await servePeerPage();
  t.teardown(() => site.close());
  const browser = await browsers.harness(t, { micToneHz: 1000 });
  const page = await browser.newPage();
  await page.goto(site.url);
  const ep = new WebRtcEndpoint({ id: `chromium-${direction}`, webrtc }, { rtpTimeoutMs: 3000 });
  t.teardown(() => ep.close());
  if (direction === 'browser-offers') {
    const offer = await page.evaluate(() => (globalThis as unknown as { peer: { offer(): Promise<string> } }).peer.offer());
    // A browser behind NAT or with mDNS-only candidates gives us nothing usable: we must learn its
    // address from its connectivity checks (peer-reflexive).
    const answer = await ep.answer(
      opts.hideBrowserCandidates
        ? offer
            .split('\r\n')
            .filter((l) => !l.startsWith('a=candidate:'))
            .join('\r\n')
        : offer,
      { maxPlaybackRate: opts.maxPlaybackRate },
    );
    await page.evaluate(
      (sdp) => (globalThis as unknown as { peer: { accept(s: string): Promise<void> } }).peer.accept(sdp),
      answer,
    );
  } else {
    const offer = await ep.createOffer({ maxPlaybackRate: opts.maxPlaybackRate });
    const answer = await page.evaluate(
      (sdp) => (globalThis as unknown as { peer: { answer(s: string): Promise<string> } }).peer.answer(sdp),
      offer,
    );
    await ep.setRemoteAnswer(answer);
  }
  await withTimeout(ep.waitConnected(), 10000, 'endpoint connected');
  return { page, ep, browser };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`timeout: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Plays 440 Hz into the endpoint for `ms` while collecting what the browser sends. */
async function exchange(ep: WebRtcEndpoint, ms: number): Promise<Int16Array> {
  const heard: Int16Array[] = [];
  const onAudio = (f: AudioFrame) => heard.push(f.samples);
  ep.on('audio', onAudio);
  const tone = new ToneSource(440, 48000);
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < ms) {
    // paced by the wall clock so the browser's jitter buffer sees real time
    while (sent * 20 <= performance.now() - started) {
      ep.sendAudio({ samples: tone.next(), sampleRate: 48000 });
      sent++;
    }
    await sleep(10);
  }
  ep.off('audio', onAudio);
  return concat(heard);
}

const inbound = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { peer: { inbound(): Promise<Inbound> } }).peer.inbound());
const peakHz = (page: Page) => page.evaluate(() => (globalThis as unknown as { peer: { peakHz(): number } }).peer.peakHz());

for (const direction of ['browser-offers', 'endpoint-offers'] as const) {
  t.test(`audio both ways (${direction})`, async (t) => {
    const { page, ep } = await setup(t, direction);
    const heard = await exchange(ep, 2500);
    t.ok(heard.length > 48000, `endpoint decoded ${heard.length} samples from the browser`);
    const peak = peakFrequency(heard, 48000);
    t.equal(peak.freq, 1000, `browser mic tone arrives at 1 kHz (ratio ${peak.ratio.toFixed(2)})`);
    const stats = await inbound(page);
    t.ok(stats.packetsReceived > 50, `browser received ${stats.packetsReceived} packets`);
    t.ok(stats.totalAudioEnergy > 0, `browser audio energy ${stats.totalAudioEnergy}`);
    t.match(stats.codec, /opus/i);
    const hz = await peakHz(page);
    t.ok(Math.abs(hz - 440) < 15, `browser hears ~440 Hz (${hz.toFixed(1)})`);
    // The browser opens DTLS (no 100 ms wait in werift's client), and the SRTP profile is the one
    // our per-session ciphers serve (werift as the server would pick AES-GCM: a cipher per packet).
    const transport = (await page.evaluate(`(async () => {
      let out = {};
      (await window.peer.pc.getStats()).forEach((s) => { if (s.type === 'transport') out = { dtlsRole: s.dtlsRole, srtpCipher: s.srtpCipher }; });
      return out;
    })()`)) as { dtlsRole?: string; srtpCipher?: string };
    // Chromium names the profile as RFC 5764 does (older) or as the IANA registry does (156 on)
    t.equal(transport.dtlsRole, 'client', `DTLS: ${JSON.stringify(transport)}`);
    t.match(transport.srtpCipher ?? '', /^(AES_CM_128_HMAC_SHA1_80|SRTP_AES128_CM_HMAC_SHA1_80)$/, 'SRTP profile');
    // Our transform serves the profile DTLS settled on, and our audio goes straight onto the ICE socket.
    t.ok(ep.srtpTransform === 'aes-gcm' || ep.srtpTransform === 'aes-cm', `our SRTP transform (${ep.srtpTransform})`);
    t.equal(ep.sentVia, udpNative ? 'native' : 'dgram', "audio not sent through werift's chain");
    t.equal(ep.receivedVia, 'own', "the browser's audio read off the socket our way, not through werift's chain");
    t.same(ep.refusedSrtp, { replayed: 0, unauthenticated: 0, malformed: 0 }, "nothing of the browser's refused");
    // Our RTCP reached Chromium: its remote-inbound-rtp is built from our receiver reports
    const remote = (await page.evaluate(`(async () => {
      let out = null;
      (await window.peer.pc.getStats()).forEach((s) => { if (s.type === 'remote-inbound-rtp') out = { packetsLost: s.packetsLost, jitter: s.jitter, reports: s.reportsReceived }; });
      return out;
    })()`)) as { packetsLost?: number; jitter?: number; reports?: number } | null;
    t.ok(remote, `Chromium has our receiver reports on its stream (${JSON.stringify(remote)})`);
    t.equal(remote?.packetsLost, 0, 'they say nothing was lost');
    t.ok(typeof remote?.jitter === 'number' && remote.jitter < 0.05, `and a plausible jitter (${remote?.jitter} s)`);
  });
}

t.test('DTMF from RTCDTMFSender arrives as dtmf events', async (t) => {
  const { page, ep } = await setup(t, 'browser-offers');
  const digits: DtmfEvent[] = [];
  ep.on('dtmf', (e) => digits.push(e));
  // keep audio flowing so the watchdog stays quiet
  const pump = exchange(ep, 2500);
  await page.evaluate(() =>
    (globalThis as unknown as { peer: { sendDtmf(t: string, d: number, g: number): Promise<void> } }).peer.sendDtmf(
      '12#9',
      100,
      70,
    ),
  );
  await pump;
  t.same(digits.map((d) => d.digit).join(''), '12#9');
  t.ok(
    digits.every((d) => d.source === 'rfc4733' && d.durationMs >= 80 && d.durationMs <= 140),
    JSON.stringify(digits),
  );
});

t.test('closing the page fails the endpoint within a few seconds; close() frees it', async (t) => {
  const { page, ep } = await setup(t, 'browser-offers');
  await exchange(ep, 500);
  const failed = new Promise<string>((r) => ep.once('failed', r));
  const started = Date.now();
  await page.close();
  const reason = await withTimeout(failed, 6000, 'failed after page close');
  t.ok(Date.now() - started < 6000, `failed after ${Date.now() - started} ms (${reason})`);
  ep.close();
  t.ok(ep.closed);
  t.equal(ep.listenerCount('failed'), 0, 'listeners released');
});

t.test('browser candidates unusable (NAT, mDNS): connects peer-reflexive, audio flows', async (t) => {
  const { page, ep } = await setup(t, 'browser-offers', { hideBrowserCandidates: true });
  const heard = await exchange(ep, 1500);
  t.equal(peakFrequency(heard, 48000).freq, 1000, 'endpoint hears the browser');
  const stats = await inbound(page);
  t.ok(stats.packetsReceived > 30, `browser received ${stats.packetsReceived} packets`);
});

/** Opus TOC configurations (RFC 6716 §3.1) of narrowband: SILK NB 0-3, CELT NB 16-19. */
const narrowbandConfig = (config: number): boolean => config <= 3 || (config >= 16 && config <= 19);

for (const direction of ['browser-offers', 'endpoint-offers'] as const) {
  t.test(`${direction}: Chromium sends narrowband Opus when told maxplaybackrate=8000, wider when not`, async (t) => {
    const configs = async (maxPlaybackRate: 8000 | undefined): Promise<number[]> => {
      const { ep } = await setup(t, direction, { maxPlaybackRate });
      const seen: number[] = [];
      ep.on('rtp', (p) => {
        if (p.payload.length > 0) seen.push(p.payload[0] >> 3);
      });
      await exchange(ep, 1500);
      return seen.slice(10); // past the encoder's first frames
    };
    const limited = await configs(8000);
    t.ok(limited.length > 30, `${limited.length} packets with the limit`);
    t.ok(limited.every(narrowbandConfig), `all narrowband (TOC configs ${[...new Set(limited)].join(',')})`);
    const free = await configs(undefined);
    t.ok(free.length > 30, `${free.length} packets without it`);
    t.notOk(free.every(narrowbandConfig), `wider without the limit (TOC configs ${[...new Set(free)].join(',')})`);
  });
}
