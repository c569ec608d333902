/**
 * What the agent-widget browser tests share: the platform with a SIP WebSocket, a sipp carrier
 * that echoes (the trunk), sessions minted through the API, and a customer's host page served
 * from a second origin (`http://localhost:<port>`, while the platform is `http://127.0.0.1:<port>`)
 * that loads `/v1/phone.js` and records every Voylo event it receives. The same server answers
 * on `http://127.0.0.1:<port>` as a third, foreign origin.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Frame, Page } from 'playwright-core';
import { CARRIER, startCallsPlatform, type CallsPlatform } from '../api/calls-rig.js';
import { freeMediaPort, freePort, startSipp } from '../helpers/sipp.js';
import type { TeardownHost } from '../helpers/platform.js';
import { until, untilOrThrow } from '../helpers/wait.js';
import { Baresip } from '../helpers/baresip.js';
import { tempDir, toneWav } from '../calls/phones.js';
import { untilPage } from './page-wait.js';

export interface HostEvent {
  event: string;
  data: Record<string, unknown> | undefined;
  at: number;
}

export interface WidgetRig {
  cp: CallsPlatform;
  /** The platform's UDP SIP port (baresip and sipp phones register there). */
  udp: number;
  /** The host page's origin (localhost) and the foreign one (127.0.0.1, same server). */
  hostOrigin: string;
  foreignOrigin: string;
}

export interface Minted {
  id: number;
  token: string;
  widgetUrl: string;
  agent: { id: number; username: string; label: string };
}

const EVENTS = ['ready', 'state', 'call:ringing', 'call:answered', 'call:ended', 'error'];

/** The platform (ws listener, loopback WebRTC), a carrier taking `carrierCalls` calls, the desk phone user `bob`. */
export async function startWidgetRig(
  t: TeardownHost,
  opts: { carrierCalls?: number; carrierSeconds?: number; config?: Record<string, unknown> } = {},
): Promise<WidgetRig> {
  const carrierPort = await freePort(CARRIER);
  // The carrier echoes what it hears; it lives as long as the file (a benchmark's 20 calls too).
  await startSipp(t, {
    scenario: 'uas',
    localHost: CARRIER,
    localPort: carrierPort,
    calls: opts.carrierCalls ?? 10,
    timeoutMs: opts.carrierSeconds ? opts.carrierSeconds * 1000 : 180000,
    extraArgs: ['-rtp_echo', '-mi', CARRIER, '-mp', String(await freeMediaPort(CARRIER))],
  });
  const cp = await startCallsPlatform(t, {
    carrierPort,
    users: ['bob'],
    config: {
      // a desk phone whose account has a display name, as call:ringing shows it
      registrar: { users: [{ username: 'bob', password: 'bob-pw', displayName: 'Bob Desk' }] },
      sip: { listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0', 'ws:127.0.0.1:0'] },
      webrtc: { iceAddresses: ['127.0.0.1'], includeLoopback: true },
      ...opts.config,
    },
  });
  const host = await startHostServer(t, cp.base);
  return { cp, udp: cp.tp.sip.port, hostOrigin: `http://localhost:${host}`, foreignOrigin: `http://127.0.0.1:${host}` };
}

/** A session for `email` minted as the customer's backend would. */
export async function mint(cp: CallsPlatform, email: string, displayName: string): Promise<Minted> {
  const r = await cp.api('/v1/agent-widget/session', { body: { agentEmail: email, displayName } });
  if (r.status !== 201) throw new Error(`mint: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as unknown as Minted;
}

/**
 * The host page: `/` loads phone.js from the platform and records events in `window.hostEvents`;
 * `/foreign` is a page that posts look-alike Voylo messages to its parent and to the softphone frame.
 */
async function startHostServer(t: TeardownHost, platformBase: string): Promise<number> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://host').pathname;
    res.setHeader('content-type', 'text/html');
    if (path === '/foreign') {
      res.end(`<!doctype html><title>ad</title><script>
window.forge = () => {
  parent.postMessage({ voylo: 1, event: 'call:ringing', data: { fromUri: 'sip:evil@x', displayName: 'Forged' } }, '*');
  parent.postMessage({ voylo: 1, event: 'hello', data: {} }, '*');
  for (let i = 0; i < parent.frames.length; i++) parent.frames[i].postMessage({ voylo: 1, cmd: 'dial', target: '+33612345678' }, '*');
};
</script>`);
      return;
    }
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Customer CRM</title></head>
<body style="margin:0;font:14px sans-serif;background:#eef1f4;min-height:640px">
<h1 style="margin:12px">Customer CRM</h1>
<div id="voylo-phone" style="width:320px;height:480px;margin:12px"></div>
<script src="${platformBase}/v1/phone.js"></script>
<script>
window.hostEvents = [];
for (const name of ${JSON.stringify(EVENTS)}) Voylo.on(name, (data) => hostEvents.push({ event: name, data, at: Date.now() }));
// ?init={...} mounts at once, as a page that has its token server-side does (the benchmark loads it so)
const init = new URLSearchParams(location.search).get('init');
if (init) Voylo.init(JSON.parse(init));
</script></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

export interface InitOptions {
  mode?: 'floating' | 'inline';
  theme?: Record<string, string>;
}

/** Opens the host page and calls Voylo.init with the session; answers the page and its softphone frame. */
export async function openHostPage(
  rig: WidgetRig,
  page: Page,
  token: string,
  opts: InitOptions = {},
): Promise<{ page: Page; frame: Frame }> {
  await page.goto(`${rig.hostOrigin}/`);
  const init = { sessionToken: token, mode: opts.mode ?? 'inline', target: '#voylo-phone', theme: opts.theme };
  await page.evaluate(`Voylo.init(${JSON.stringify(init)})`);
  const handle = await page.waitForSelector('iframe.voylo-frame', { state: 'attached' });
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('no softphone frame');
  await untilPage(frame, 'window.softphone !== undefined');
  return { page, frame };
}

export const hostEvents = (page: Page): Promise<HostEvent[]> => page.evaluate('window.hostEvents');

/** Waits for the host page to have received `event` (matching `pred`) and answers it. */
export async function hostEvent(
  page: Page,
  event: string,
  pred: (e: HostEvent) => boolean = () => true,
  timeoutMs = 20000,
): Promise<HostEvent> {
  let found: HostEvent | undefined;
  await until(
    async () => {
      found = (await hostEvents(page)).find((e) => e.event === event && pred(e));
      return found !== undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
  if (!found) throw new Error(`no ${event} on the host page within ${timeoutMs} ms: ${JSON.stringify(await hostEvents(page))}`);
  return found;
}

/** The softphone's SIP state inside the frame. */
export const phoneState = (frame: Frame): Promise<string> => frame.evaluate('window.softphone.phone()?.state ?? "none"');

/** Strongest frequency the softphone hears now (its analyser), 0 without a call. */
export const framePeakHz = (frame: Frame): Promise<number> => frame.evaluate('window.softphone.phone()?.peakHz() ?? 0');

/** Waits until the softphone's analyser peaks at `hz` (±20 Hz); answers the last reading. */
export async function frameHears(frame: Frame, hz: number, timeoutMs = 15000): Promise<number> {
  let last = 0;
  await until(
    async () => {
      last = await framePeakHz(frame);
      return Math.abs(last - hz) < 20;
    },
    { timeoutMs, intervalMs: 100 },
  );
  return last;
}

/** Bob's desk phone (PCMU) registered on the rig's platform, playing a tone of `hz`. */
export async function startDeskPhone(t: TeardownHost, rig: WidgetRig, hz: number): Promise<Baresip> {
  const bob = await Baresip.start({
    user: 'bob',
    password: rig.cp.tp.password('bob'),
    registrar: { host: '127.0.0.1', port: rig.udp },
    codecs: ['PCMU'],
    playWav: toneWav(tempDir(t, 'agentui-bob-'), hz),
    verbose: process.env.SB_TEST_BARESIP === '1',
  });
  t.teardown(() => bob.stop());
  await untilOrThrow('bob registered', () => rig.cp.tp.platform.sip.registrar.lookup('bob').length > 0, { timeoutMs: 30000 });
  return bob;
}
