/**
 * The agent softphone's session in headless Chromium: a revoked session kicks the live widget
 * (registration gone, WebSocket closed, the host page told) within a second; a second tab of the
 * same agent says it is in use and cannot dial; the widget URL opened full-page, with no host
 * page, registers and calls. One platform and one browser for the file.
 *
 * Requires `npm run build` (the agent bundles in dist/widget).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECIPIENT } from '../api/calls-rig.js';
import { ChromiumPool } from '../helpers/chromium.js';
import { until, untilOrThrow } from '../helpers/wait.js';
import {
  frameHears,
  hostEvent,
  hostEvents,
  mint,
  openHostPage,
  phoneState,
  startWidgetRig,
  type WidgetRig,
} from './agent-widget-rig.js';

const here = dirname(fileURLToPath(import.meta.url));
// The pages load the built bundles: without them every test here would fail for a reason that hides the real one.
if (!existsSync(join(here, '..', '..', 'widget', 'agent', 'phone.js')))
  throw new Error('widget bundles missing: run npm run build first');

t.setTimeout(120000);
const browsers = new ChromiumPool(t);
const MIC_HZ = 1000;

let rig: WidgetRig;
t.before(async () => {
  // a low lock threshold: reloads that cost failed authentications would show within a few
  rig = await startWidgetRig(t, { config: { authThrottle: { maxFailures: 3 } } });
});

/** Every WebSocket a frame opens, with when it closed (the softphone's SIP transport among them). */
const WS_LOG = `(() => {
  const Native = WebSocket;
  window.wsLog = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      const entry = { url: String(args[0]), closedAt: 0, code: 0 };
      window.wsLog.push(entry);
      this.addEventListener('close', (e) => { entry.closedAt = Date.now(); entry.code = e.code; });
    }
  };
})();`;

t.test('DELETE /v1/agent-widget/session/:id kicks the live widget within a second', {}, async (t) => {
  const session = await mint(rig.cp, 'frank@cust.com', 'Frank');
  const harness = await browsers.harness(t, { micToneHz: MIC_HZ });
  const tab = await harness.newPage();
  await tab.addInitScript({ content: WS_LOG });
  const { page, frame } = await openHostPage(rig, tab, session.token);
  await hostEvent(page, 'ready');
  const registrar = rig.cp.tp.platform.sip.registrar;
  t.equal(registrar.lookup(session.agent.username).length, 1, 'registered');
  // In a call when kicked: the call must end too.
  await page.evaluate(`Voylo.dial(${JSON.stringify(RECIPIENT)})`);
  await hostEvent(page, 'call:answered');

  const sent = Date.now();
  const del = await rig.cp.api(`/v1/agent-widget/session/${session.id}`, { method: 'DELETE' });
  t.same(del, { status: 200, body: { id: session.id, status: 'revoked' } });
  t.equal(registrar.lookup(session.agent.username).length, 0, 'the registration is gone when DELETE answers');
  const signedOut = await hostEvent(page, 'state', (e) => e.data?.state === 'signed-out', 5000);
  const took = signedOut.at - sent;
  t.ok(took <= 1000, `the host page got state signed-out ${took} ms after the DELETE was sent`);
  t.comment(`revoke → host page signed-out: ${took} ms`);
  const ended = (await hostEvents(page)).find((e) => e.event === 'call:ended');
  t.ok(ended, `the call in progress ended (${JSON.stringify(ended?.data)})`);
  const error = await hostEvent(page, 'error', (e) => e.at >= sent);
  t.match(error.data, { message: /session has ended/ }, 'and an error event says why');
  t.match(await frame.textContent('.sp-state'), /Signed out/, 'the softphone shows it is signed out');
  const sipWs = ((await frame.evaluate('window.wsLog')) as { url: string; closedAt: number }[]).filter((w) =>
    w.url.startsWith('ws://'),
  );
  t.equal(sipWs.length, 1, `one SIP WebSocket was opened (${JSON.stringify(sipWs)})`);
  const closedIn = (sipWs[0]?.closedAt ?? 0) - sent;
  t.ok(sipWs[0]?.closedAt && closedIn <= 1000, `the SIP WebSocket was closed ${closedIn} ms after the DELETE was sent`);
  // It does not come back: no reconnect, no registration.
  await until(() => registrar.lookup(session.agent.username).length > 0, { timeoutMs: 3000 });
  t.equal(registrar.lookup(session.agent.username).length, 0, 'nor does it register again');
  t.equal(await phoneState(frame), 'signed-out');
  await page.evaluate('Voylo.dial("123456")');
  const refused = await hostEvent(page, 'error', (e) => e.at > error.at);
  t.match(refused.data, { message: /cannot dial|not ready/ }, `a dial is refused (${JSON.stringify(refused.data)})`);
});

t.test('two tabs of the same agent: the second says it is in use and cannot dial, then takes over', {}, async (t) => {
  const first = await mint(rig.cp, 'gina@cust.com', 'Gina');
  const second = await mint(rig.cp, 'gina@cust.com', 'Gina');
  t.equal(second.agent.id, first.agent.id, 'the same agent');
  const harness = await browsers.harness(t, { micToneHz: MIC_HZ });
  const tab1 = await openHostPage(rig, await harness.newPage(), first.token);
  await hostEvent(tab1.page, 'ready');
  const tab2 = await openHostPage(rig, await harness.newPage(), second.token);
  await hostEvent(tab2.page, 'state', (e) => e.data?.state === 'in-use-elsewhere');
  t.match(await tab2.frame.textContent('.sp-notice'), /in use in another tab/, 'the second tab says why');
  t.match(await tab2.frame.textContent('.sp-state'), /In use in another tab/);
  t.ok(await tab2.frame.isDisabled('.sp-call'), 'its Call button is disabled');
  await tab2.page.evaluate('Voylo.dial("123456")');
  const refused = await hostEvent(tab2.page, 'error');
  t.match(
    refused.data,
    { message: 'the softphone is not ready (in-use-elsewhere)' },
    `Voylo.dial is refused (${JSON.stringify(refused.data)})`,
  );
  t.notOk(
    (await hostEvents(tab2.page)).some((e) => e.event === 'ready'),
    'the second tab never got ready',
  );
  const registrar = rig.cp.tp.platform.sip.registrar;
  t.same(
    registrar.lookup(first.agent.username).map((b) => b.authUser),
    [`agentwidget-${first.id}`],
    "only the first tab's session is registered",
  );

  // The first tab closes: the second becomes the agent's softphone.
  await tab1.page.close({ runBeforeUnload: true });
  const ready = await hostEvent(tab2.page, 'ready');
  t.same(ready.data, { agent: second.agent }, 'the second tab takes over when the first closes');
  t.ok(
    await until(() => registrar.lookup(first.agent.username).some((b) => b.authUser === `agentwidget-${second.id}`)),
    'and registers',
  );
});

t.test('the widget URL opened full-page registers and dials', async (t) => {
  const session = await mint(rig.cp, 'hugo@cust.com', 'Hugo');
  const harness = await browsers.harness(t, { micToneHz: MIC_HZ });
  const page = await harness.newPage();
  const res = await page.goto(session.widgetUrl);
  t.equal(res?.status(), 200);
  await untilOrThrow('registered', async () => (await page.evaluate('window.softphone.phone()?.state')) === 'registered', {
    timeoutMs: 15000,
  });
  t.match(await page.textContent('.sp-agent'), 'Hugo', 'shows the agent');
  t.match(await page.textContent('.sp-state'), 'Ready');
  t.ok(rig.cp.tp.platform.sip.registrar.lookup(session.agent.username).length > 0, 'registered at the platform');
  await page.fill('.sp-number', RECIPIENT);
  await page.click('.sp-call');
  const inCall = await until(async () => (await page.evaluate('window.softphone.phone()?.state')) === 'in-call', {
    timeoutMs: 30000,
  });
  t.ok(inCall, `in call (${JSON.stringify(await page.evaluate('window.softphone.events'))})`);
  const main = page.mainFrame();
  const hz = await frameHears(main, MIC_HZ);
  t.ok(Math.abs(hz - MIC_HZ) < 20, `the full-page softphone hears its tone through the carrier's echo (${hz.toFixed(1)} Hz)`);
  await page.click('.sp-hangup');
  await untilOrThrow('back to ready', async () => (await phoneState(main)) === 'registered');
  t.match(await page.textContent('.sp-last'), /ended: local hangup/, `it shows how the call ended`);
});

t.test('a dropped connection (not a revoke) reconnects and registers again', {}, async (t) => {
  const session = await mint(rig.cp, 'ivy@cust.com', 'Ivy');
  const harness = await browsers.harness(t, { micToneHz: MIC_HZ });
  const { page, frame } = await openHostPage(rig, await harness.newPage(), session.token);
  const first = await hostEvent(page, 'ready');
  const registrar = rig.cp.tp.platform.sip.registrar;
  const [binding] = registrar.lookup(session.agent.username);
  if (!binding) throw new Error('not registered');
  // the network drops the WebSocket: the server still knows the session
  rig.cp.tp.platform.sipServer?.closeConnection(binding.source);
  const told = await hostEvent(page, 'error', (e) => e.at >= first.at);
  t.match(told.data, { message: /lost; reconnecting/ }, 'the host page is told the connection was lost');
  const again = await hostEvent(page, 'ready', (e) => e.at > first.at, 30000);
  t.same(again.data, { agent: session.agent }, 'ready again after the reconnect');
  t.equal(await phoneState(frame), 'registered');
  t.ok(
    await until(() => registrar.lookup(session.agent.username).some((b) => b.source.port !== binding.source.port)),
    'registered again over a new connection',
  );
});

t.test(
  'reloading the host page, each time with a new session, keeps one registration and never locks the source',
  {},
  async (t) => {
    const harness = await browsers.harness(t, { micToneHz: MIC_HZ });
    const registrar = rig.cp.tp.platform.sip.registrar;
    let username = '';
    // more reloads than the failures that lock a source (3 here)
    for (let i = 1; i <= 5; i++) {
      const session = await mint(rig.cp, 'lena@cust.com', 'Lena');
      username = session.agent.username;
      const page = await harness.newPage();
      await openHostPage(rig, page, session.token);
      const ready = await hostEvent(page, 'ready', () => true, 30000).catch((e: Error) => e);
      if (ready instanceof Error) {
        t.fail(`reload ${i}: ${ready.message}`);
        return;
      }
      t.same(
        registrar.lookup(username).map((b) => b.authUser),
        [`agentwidget-${session.id}`],
        `reload ${i}: registered once, by this session`,
      );
      await page.close({ runBeforeUnload: true });
    }
    t.equal(rig.cp.tp.platform.sip.authStats().throttled, 0, 'no authentication was throttled');
  },
);
