/**
 * Phonevoice embed sessions end to end: a browser-mode bridge (`vendeur_mode: "browser"`) to a sipp
 * carrier that echoes what it hears, and three headless Chromiums, each with its own fake
 * microphone tone, opening the `agent`, `talk` and `listen` embed URLs (one platform for the file). The agent page connecting
 * dials the client; the talk and listen pages join the live call. What each page hears is read from
 * its analyser: the carrier's echo carries back what the client heard, so a tone the agent page
 * hears through the echo reached the client. The listen page is tampered with (its offer gets a
 * microphone track, as a user with devtools could do): its tone must still reach nobody.
 *
 * Requires `npm run build` (the embed bundle in dist/widget).
 */
import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame, Page } from 'playwright-core';
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import { RECIPIENT, startCallsPlatform, startCarrier, type CallsPlatform } from '../api/calls-rig.js';
import { ChromiumPool } from '../helpers/chromium.js';
import { sleep, until, untilOrThrow } from '../helpers/wait.js';
import { tempDir } from '../calls/phones.js';
import { untilPage } from './page-wait.js';

const here = dirname(fileURLToPath(import.meta.url));
// The pages load the built bundles: without them every test here would fail for a reason that hides the real one.
if (!existsSync(join(here, '..', '..', 'widget', 'embed', 'embed.js')))
  throw new Error('widget bundles missing: run npm run build first');

t.setTimeout(240000);
const browsers = new ChromiumPool(t);

const TONE = { agent: 660, talk: 1020, listen: 1480 } as const;
/** The three tones, then two frequencies nobody sends (the floor they must stand above). */
const FREQS = [TONE.agent, TONE.talk, TONE.listen, 1250, 1800];

interface EmbedView {
  callState: string;
  lastStatus?: number;
  error?: string;
}
// The main tsconfig has no DOM types: page code goes as text (it runs in the page, not here).
const state = (page: Page | Frame): Promise<EmbedView> => page.evaluate('({ ...window.embed.state })');
const spectrum = (page: Page | Frame): Promise<{ levels: number[]; peakHz: number }> =>
  page.evaluate(`window.embed.spectrum(${JSON.stringify(FREQS)})`);
const stats = (page: Page | Frame): Promise<{ packetsReceived: number; packetsSent: number; totalAudioEnergy: number }> =>
  page.evaluate('window.embed.stats()');
const hangup = (page: Page | Frame): Promise<void> => page.evaluate('window.embed.hangup()');

/** A hostile listen page: whatever the page offers, a microphone track goes with it (as devtools could). */
const TAMPER = `(() => {
  const original = RTCPeerConnection.prototype.createOffer;
  RTCPeerConnection.prototype.createOffer = async function (...args) {
    if (!this.getSenders().some((s) => s.track)) {
      const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
      this.addTrack(mic.getAudioTracks()[0], mic);
    }
    return original.apply(this, args);
  };
})();`;

async function inCall(page: Page | Frame, who: string): Promise<void> {
  let last: EmbedView | undefined;
  const ok = await until(
    async () => {
      last = await state(page);
      return last.callState === 'in-call';
    },
    { timeoutMs: 30000, intervalMs: 100 },
  );
  // what the page last showed (an error, a SIP status) says why it never got there
  if (!ok) throw new Error(`${who} not in call within 30 s: ${JSON.stringify(last)} (load average ${loadavg()[0]!.toFixed(1)})`);
}

/**
 * Samples a page's spectrum every 100 ms for `ms` (the span of audio IS the measurement) and answers,
 * per tone, the fraction of samples where it stood well above the floor.
 */
async function toneShare(page: Page | Frame, ms: number): Promise<number[]> {
  const hits = [0, 0, 0];
  const all: number[][] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const { levels } = await spectrum(page);
    all.push(levels);
    const floor = Math.max(levels[3]!, levels[4]!);
    for (let i = 0; i < 3; i++) if (levels[i]! > PRESENT_DB && levels[i]! > floor + ABOVE_FLOOR_DB) hits[i]!++;
    await sleep(100);
  }
  const median = (i: number): number => all.map((l) => l[i]!).sort((a, b) => a - b)[Math.floor(all.length / 2)] ?? -Infinity;
  t.comment(`median dB at ${FREQS}: ${FREQS.map((_, i) => median(i).toFixed(1))}`);
  return hits.map((h) => (all.length ? h / all.length : 0));
}
/**
 * A fake-microphone tone through Opus, PCMU and the mixer arrives around -35..-50 dB; the codecs'
 * noise floor at frequencies nobody sends sits around -70..-80 dB.
 */
const PRESENT_DB = -60;
const ABOVE_FLOOR_DB = 10;
/**
 * Share of samples. A tone sent is in nearly all of them on an idle machine, but a loaded one (load
 * average 15 measured) drops audio and brought that to about half; a tone nobody sends is in none,
 * and a leaked one (the listen role mixed as a talker) was in all of them.
 */
const HEARD = 0.3;
const ABSENT = 0.05;

async function embedUrl(cp: CallsPlatform, id: number, role: string): Promise<string> {
  const r = await cp.api(`/api/v1/calls/${id}/embed_session`, { body: { role } });
  if (r.status !== 200) throw new Error(`embed_session ${role}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.embed_url as string;
}

async function openEmbed(t: Test, url: string, role: keyof typeof TONE, tamper = false): Promise<Page> {
  const harness = await browsers.harness(t, { micToneHz: TONE[role] });
  const page = await harness.newPage();
  if (tamper) await page.addInitScript({ content: TAMPER });
  const res = await page.goto(url);
  if (res?.status() !== 200) throw new Error(`${role} page: ${res?.status()}`);
  return page;
}

/**
 * A customer's page on another origin that embeds the URL as the seed shows:
 * `<iframe src="EMBED_URL" allow="microphone; autoplay">`. Answers the embed page's frame.
 */
async function openInHostPage(t: Test, url: string, role: keyof typeof TONE): Promise<Frame> {
  const host = createServer((req, res) => {
    const src = new URL(req.url ?? '/', 'http://host').searchParams.get('embed') ?? '';
    const attr = src.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>CRM</title><h1>Customer CRM</h1><iframe src="${attr}" allow="microphone; autoplay"></iframe>`);
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => host.close(() => resolve())));
  const harness = await browsers.harness(t, { micToneHz: TONE[role] });
  const page = await harness.newPage();
  await page.goto(`http://127.0.0.1:${(host.address() as AddressInfo).port}/?embed=${encodeURIComponent(url)}`);
  const frame = await (await page.waitForSelector('iframe')).contentFrame();
  if (!frame) throw new Error('no embed frame');
  await untilPage(frame, 'window.embed !== undefined');
  return frame;
}

/** One platform and carrier for the file (the subtests' calls are their own; each leaves none behind). */
let shared: Promise<CallsPlatform> | undefined;
function platform(): Promise<CallsPlatform> {
  shared ??= startShared();
  return shared;
}

async function startShared(): Promise<CallsPlatform> {
  const dir = tempDir(t, 'embed-');
  const carrier = await startCarrier(t, dir, 'echo', 4);
  return startCallsPlatform(t, {
    carrierPort: carrier.port,
    config: {
      sip: { listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0', 'ws:127.0.0.1:0'] },
      webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true },
    },
  });
}

t.test('agent, talk and listen pages on one bridge call: the roles are what the server mixes', async (t) => {
  const cp = await platform();
  const created = await cp.api('/api/v1/calls/initiate', {
    body: { call_type: 'bridge', vendeur_mode: 'browser', recipient_phone_number: RECIPIENT },
  });
  t.equal(created.status, 201);
  const id = created.body.phone_call_id as number;

  const agentSession = await cp.api(`/api/v1/calls/${id}/embed_session`, { body: { role: 'agent' } });
  t.match(agentSession, { status: 200, body: { role: 'agent', expires_in: 300, embed_url: /\/embed\?t=[0-9a-f]{32}\.\d+\./ } });
  const agentUrl = agentSession.body.embed_url as string;
  t.ok(agentUrl.startsWith(cp.base), `the URL is on our public URL (${agentUrl.slice(0, 60)}…)`);
  t.notOk(agentUrl.includes(cp.token), 'the API token is not in the URL');
  // made before the call connects: these pages wait for it
  const talkUrl = await embedUrl(cp, id, 'talk');
  const listenUrl = await embedUrl(cp, id, 'listen');
  const honestListenUrl = await embedUrl(cp, id, 'listen');

  t.match(
    (await cp.api(`/api/v1/calls/${id}`)).body,
    { status: 'queued', legs: [] },
    'nobody is dialled before the agent connects',
  );
  // The agent page runs inside a customer's page on another origin, as the seed embeds it.
  const agent = await openInHostPage(t, agentUrl, 'agent');
  const openedAt = Date.now();
  const html = await agent.content();
  t.notOk(html.includes(cp.token), 'the page holds no API token');
  await inCall(agent, 'agent page');
  const agentMs = Date.now() - openedAt;
  t.ok(
    await until(async () => ((await cp.api(`/api/v1/calls/${id}`)).body.legs as unknown[]).length === 2, { timeoutMs: 20000 }),
    'the client was dialled the moment the agent connected, and answered',
  );
  t.equal((await cp.api(`/api/v1/calls/${id}`)).body.status, 'in-progress');
  const secondAgent = await cp.api(`/api/v1/calls/${id}/embed_session`, { body: { role: 'agent' } });
  t.equal(secondAgent.status, 409, `once the agent is on the line, no second agent (${String(secondAgent.body.error)})`);

  // The agent URL is single-use.
  const again = await fetch(agentUrl);
  t.equal(again.status, 410, 'the agent URL opened a second time is refused');
  t.match(await again.text(), /already used/);

  const talk = await openEmbed(t, talkUrl, 'talk');
  const listen = await openEmbed(t, listenUrl, 'listen', true);
  await inCall(talk, 'talk page');
  await inCall(listen, 'listen page');
  const honest = await openEmbed(t, honestListenUrl, 'listen');
  await inCall(honest, 'untampered listen page');
  t.comment(`agent page script running to in call (SIP, ICE, DTLS): ${agentMs} ms (load average ${loadavg()[0]!.toFixed(1)})`);
  t.ok(
    await until(async () => (await stats(listen)).packetsSent > 100, { timeoutMs: 15000 }),
    `the tampered listen page does send audio (${(await stats(listen)).packetsSent} packets)`,
  );
  // Let the mix settle before measuring (the tones need to go round the carrier's echo).
  await until(async () => (await spectrum(agent)).levels[1]! > PRESENT_DB, { timeoutMs: 15000, intervalMs: 100 });

  const [agentHears, talkHears, listenHears] = await Promise.all([
    toneShare(agent, 4000),
    toneShare(talk, 4000),
    toneShare(listen, 4000),
  ]);
  t.comment(`share of samples with each tone ${JSON.stringify({ FREQS, agentHears, talkHears, listenHears })}`);
  t.ok(
    agentHears[0]! > HEARD,
    `the agent hears its own tone back through the client's echo: client and agent hear each other (${agentHears[0]})`,
  );
  t.ok(agentHears[1]! > HEARD, `the agent hears the talk participant (${agentHears[1]})`);
  t.ok(
    agentHears[2]! <= ABSENT,
    `the agent does not hear the listen page, neither directly nor through the client (${agentHears[2]})`,
  );
  t.ok(talkHears[0]! > HEARD, `the talk participant hears the agent (${talkHears[0]})`);
  t.ok(talkHears[2]! <= ABSENT, `the talk participant does not hear the listen page (${talkHears[2]})`);
  t.ok(
    listenHears[0]! > HEARD && listenHears[1]! > HEARD,
    `the listener hears the agent and the talk participant (${listenHears})`,
  );

  // Counted once 2 s of audio have come (the count at a fixed moment depends on the machine's load).
  const receiving = Date.now();
  await until(async () => (await stats(honest)).packetsReceived > 100, { timeoutMs: 15000, intervalMs: 100 });
  const honestStats = await stats(honest);
  t.equal(honestStats.packetsSent, 0, 'an untampered listen page sends nothing (receive-only, no microphone)');
  t.ok(
    honestStats.packetsReceived > 100,
    `and receives the call (${honestStats.packetsReceived} packets, ${Date.now() - receiving} ms after the others were measured)`,
  );
  const honestHears = await toneShare(honest, 3000);
  t.ok(honestHears[0]! > HEARD && honestHears[1]! > HEARD, `it hears the agent and the talk participant (${honestHears})`);

  // The talk page leaving ends only its own leg.
  await hangup(talk);
  await untilOrThrow('talk page ended', async () => (await state(talk)).callState === 'ended', { timeoutMs: 10000 });
  await sleep(500); // the span in which a wrongly ended call would show
  t.equal((await cp.api(`/api/v1/calls/${id}`)).body.status, 'in-progress', 'the call goes on without the talk participant');
  t.equal((await state(agent)).callState, 'in-call', 'the agent is still on the call');

  // The agent ends the call: everyone is off.
  await hangup(agent);
  t.ok(
    await until(async () => (await cp.api(`/api/v1/calls/${id}`)).body.status === 'completed', { timeoutMs: 15000 }),
    'the agent hanging up completes the call',
  );
  await untilOrThrow('listen page ended', async () => (await state(listen)).callState === 'ended', { timeoutMs: 10000 });
  const legs = ((await cp.api(`/api/v1/calls/${id}`)).body.legs as { role: string }[]).map((l) => l.role).sort();
  t.same(legs, ['callee', 'caller', 'monitor', 'monitor', 'talker'], 'every leg is on the record');
  t.equal(cp.tp.platform.embeds.size, 0, 'the ended call leaves no embed session behind');
  const late = await cp.api(`/api/v1/calls/${id}/embed_session`, { body: { role: 'listen' } });
  t.equal(late.status, 409, `an ended call: 409 (${String(late.body.error)})`);
});

t.test('embed_session refusals: bad role, no token, expired and forged URLs, a hung-up call', async (t) => {
  const cp = await platform();
  const created = await cp.api('/api/v1/calls/initiate', {
    body: { call_type: 'bridge', vendeur_mode: 'browser', recipient_phone_number: RECIPIENT },
  });
  const id = created.body.phone_call_id as number;
  for (const role of [undefined, 'boss', 7]) {
    const r = await cp.api(`/api/v1/calls/${id}/embed_session`, { body: role === undefined ? {} : { role } });
    t.match([r.status, r.body.error], [422, /^role: must be one of agent, talk, listen/], `role ${JSON.stringify(role)}: 422`);
  }
  t.equal(
    (await cp.api(`/api/v1/calls/${id}/embed_session`, { body: { role: 'talk' }, token: null })).status,
    401,
    'no token: 401',
  );

  // A URL past its five minutes (issued 301 s ago) is refused, and so is a forged one.
  const record = (await cp.tp.platform.store.calls.get(id))!;
  const expired = cp.tp.platform.embeds.create(record, 'listen', Date.now() - 301_000);
  const old = await fetch(`${cp.base}/embed?t=${expired.token}`);
  t.equal(old.status, 410, 'an expired URL: 410');
  t.match(await old.text(), /expired/);
  const fresh = await embedUrl(cp, id, 'listen');
  const dot = fresh.lastIndexOf('.') + 1;
  const forged = fresh.slice(0, dot) + (fresh[dot] === 'A' ? 'B' : 'A') + fresh.slice(dot + 1);
  t.equal((await fetch(forged)).status, 403, 'a changed signature: 403');
  const promoted = cp.tp.platform.embeds.create(record, 'talk').token.split('.');
  const listenParts = new URL(fresh).searchParams.get('t')!.split('.');
  t.equal(
    (await fetch(`${cp.base}/embed?t=${promoted[0]}.${promoted[1]}.${listenParts[2]}`)).status,
    403,
    "another session's signature does not open it",
  );
  t.equal((await fetch(`${cp.base}/embed?t=nonsense`)).status, 403, 'garbage: 403');
  t.equal((await fetch(`${cp.base}/embed`)).status, 422, 'no token: 422');
  const page = await fetch(fresh);
  t.equal(page.status, 200, 'the untouched URL still opens');
  t.match(page.headers.get('content-security-policy'), /script-src 'self'/);
  t.equal(page.headers.get('cache-control'), 'no-store');
  t.equal((await fetch(`${cp.base}/embed/embed.js`)).status, 200, 'the page bundle is served');
  t.equal((await fetch(`${cp.base}/embed/embed.js.map`)).status, 404, 'its source map is not (http.sourceMaps off)');

  t.equal(cp.tp.platform.embeds.size, 3, 'three sessions live');
  await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' });
  const over = await cp.api(`/api/v1/calls/${id}/embed_session`, { body: { role: 'agent' } });
  t.equal(over.status, 409, `a hung-up call: 409 (${String(over.body.error)})`);
  t.equal(cp.tp.platform.embeds.size, 0);
});
