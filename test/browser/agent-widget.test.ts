/**
 * The Voylo agent softphone in headless Chromium, embedded as a customer would: a host page on a
 * second origin loads `/v1/phone.js` and calls `Voylo.init` with a session minted through the API.
 * The softphone registers, dials out through the trunk (a sipp carrier that echoes) and to a
 * baresip desk phone, receives calls, and its events reach the host page by postMessage; look-alike
 * messages from a foreign window are ignored both ways. One platform and one browser for the file.
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
import type { Baresip } from '../helpers/baresip.js';
import { heard, peakHz, untilHeard } from '../calls/phones.js';
import {
  frameHears,
  hostEvent,
  hostEvents,
  mint,
  openHostPage,
  phoneState,
  startDeskPhone,
  startWidgetRig,
  type WidgetRig,
} from './agent-widget-rig.js';
import { untilPage } from './page-wait.js';

const here = dirname(fileURLToPath(import.meta.url));
// The pages load the built bundles: without them every test here would fail for a reason that hides the real one.
if (!existsSync(join(here, '..', '..', 'widget', 'agent', 'phone.js')))
  throw new Error('widget bundles missing: run npm run build first');

t.setTimeout(150000);
const browsers = new ChromiumPool(t);
/** The widget's fake microphone, and the desk phone's tone. */
const AGENT_HZ = 1000;
const DESK_HZ = 600;

let rig: WidgetRig;
let bob: Baresip;

t.before(async () => {
  rig = await startWidgetRig(t);
  bob = await startDeskPhone(t, rig, DESK_HZ);
});

t.test('a host page on another origin embeds the softphone: it registers, dials the trunk and a desk phone', {}, async (t) => {
  const session = await mint(rig.cp, 'carol@cust.com', 'Carol');
  const harness = await browsers.harness(t, { micToneHz: AGENT_HZ });
  const { page, frame } = await openHostPage(rig, await harness.newPage(), session.token);
  t.not(new URL(page.url()).origin, new URL(rig.cp.base).origin, `the host page (${page.url()}) is not on the platform's origin`);
  const ready = await hostEvent(page, 'ready');
  t.same(ready.data, { agent: session.agent }, 'ready {agent} reached the host page');
  t.ok(
    rig.cp.tp.platform.sip.registrar.lookup(session.agent.username).some((b) => b.authUser === `agentwidget-${session.id}`),
    'registered as the agent with the session-derived credentials',
  );
  t.notOk((await frame.content()).includes(rig.cp.token), 'the softphone page holds no API token');

  // Out through the trunk: the carrier echoes, so hearing our own tone is audio both ways.
  await page.evaluate(`Voylo.dial(${JSON.stringify(RECIPIENT)})`);
  await hostEvent(page, 'call:answered');
  const hz = await frameHears(frame, AGENT_HZ);
  t.ok(Math.abs(hz - AGENT_HZ) < 20, `the widget hears its ${AGENT_HZ} Hz back through the carrier's echo (${hz.toFixed(1)} Hz)`);
  await page.evaluate('Voylo.hangup()');
  const ended = await hostEvent(page, 'call:ended');
  t.same(ended.data, { cause: 'local-hangup', statusCode: 200 }, 'our hang-up: call:ended local-hangup');
  await untilOrThrow('registered again', async () => (await phoneState(frame)) === 'registered');

  // To an agent's desk phone (PCMU): each side hears the other's tone.
  const established = bob.waitFor('CALL_INCOMING', 20000);
  await page.evaluate(`Voylo.dial('bob')`);
  await established;
  await bob.answer();
  await hostEvent(page, 'call:answered', (e) => e.at > ended.at);
  const widgetHears = await frameHears(frame, DESK_HZ);
  await untilHeard(bob, 2);
  const h = heard(bob);
  const secs = h.samples.length / h.rate;
  const bobHears = peakHz(h, Math.max(0, secs - 1), secs);
  t.ok(Math.abs(widgetHears - DESK_HZ) < 20, `the widget hears the desk phone's ${DESK_HZ} Hz (${widgetHears.toFixed(1)})`);
  t.ok(Math.abs(bobHears - AGENT_HZ) < 20, `the desk phone hears the widget's ${AGENT_HZ} Hz (${bobHears.toFixed(1)})`);
  const closed = bob.waitFor('CALL_CLOSED', 10000);
  await page.evaluate('Voylo.hangup()');
  await closed;
  t.pass('the desk phone got the hang-up');
});

t.test(
  'calls to the agent: ringing, answer, remote hang-up, decline and a caller who gives up reach the host page',
  {},
  async (t) => {
    const session = await mint(rig.cp, 'dave@cust.com', 'Dave');
    const harness = await browsers.harness(t, { micToneHz: AGENT_HZ });
    const { page, frame } = await openHostPage(rig, await harness.newPage(), session.token);
    await hostEvent(page, 'ready');
    const dialDave = () => bob.dial(`sip:${session.agent.username}@127.0.0.1:${rig.udp}`);
    const since = () => Date.now();

    // answered, then the caller hangs up
    let mark = since();
    await dialDave();
    const ringing = await hostEvent(page, 'call:ringing', (e) => e.at >= mark);
    t.match(ringing.data, { fromUri: /^sip:bob@/, displayName: 'Bob Desk' }, `call:ringing ${JSON.stringify(ringing.data)}`);
    const established = bob.waitFor('CALL_ESTABLISHED', 20000);
    await page.evaluate('Voylo.answer()');
    await hostEvent(page, 'call:answered', (e) => e.at >= mark);
    await established;
    const hz = await frameHears(frame, DESK_HZ);
    t.ok(Math.abs(hz - DESK_HZ) < 20, `answered: the widget hears the caller (${hz.toFixed(1)} Hz)`);
    // The desk phone's own end of this call is awaited too: a late CALL_CLOSED must not be taken
    // for the next call's (the decline below asserts on its status).
    const hungUp = bob.waitFor('CALL_CLOSED', 20000);
    await bob.hangup();
    const remote = await hostEvent(page, 'call:ended', (e) => e.at >= mark);
    t.same(remote.data, { cause: 'remote-hangup', statusCode: 200 }, 'the caller hung up: remote-hangup, 200');
    await hungUp;
    await untilOrThrow('registered again', async () => (await phoneState(frame)) === 'registered');

    // declined: the caller is told 603
    mark = since();
    const closed = bob.waitFor('CALL_CLOSED', 20000);
    await dialDave();
    await hostEvent(page, 'call:ringing', (e) => e.at >= mark);
    await page.evaluate('Voylo.decline()');
    const declined = await hostEvent(page, 'call:ended', (e) => e.at >= mark);
    t.same(declined.data, { cause: 'declined', statusCode: 603 }, 'declined: call:ended declined, 603');
    const bobSaw = await closed;
    t.match(String(bobSaw.param), /603|[Dd]ecline/, `the caller was refused with 603 (${bobSaw.param})`);
    await untilOrThrow('registered again', async () => (await phoneState(frame)) === 'registered');

    // the caller gives up while it rings
    mark = since();
    await dialDave();
    await hostEvent(page, 'call:ringing', (e) => e.at >= mark);
    await bob.hangup();
    const canceled = await hostEvent(page, 'call:ended', (e) => e.at >= mark);
    t.same(canceled.data, { cause: 'canceled', statusCode: 487 }, 'the caller gave up: canceled, 487');
    t.same(
      (await hostEvents(page)).filter((e) => e.event === 'error'),
      [],
      'no error events along the way',
    );
  },
);

t.test('postMessage origin checks both ways: look-alike messages from a foreign window are ignored', {}, async (t) => {
  const session = await mint(rig.cp, 'erin@cust.com', 'Erin');
  const harness = await browsers.harness(t, { micToneHz: AGENT_HZ });
  const { page, frame } = await openHostPage(rig, await harness.newPage(), session.token);
  await hostEvent(page, 'ready');
  // A third-party frame (an ad) on the host page, on another origin, forges both directions.
  await page.evaluate(`(() => new Promise((resolve) => {
    const ad = document.createElement('iframe');
    ad.src = ${JSON.stringify(`${rig.foreignOrigin}/foreign`)};
    ad.onload = resolve;
    document.body.appendChild(ad);
  }))()`);
  const ad = page.frames().find((f) => f.url().endsWith('/foreign'));
  if (!ad) throw new Error('no foreign frame');
  const before = (await hostEvents(page)).length;
  await ad.evaluate('window.forge()');
  // The host page's own origin is not ours either: its direct messages to itself are not events.
  await page.evaluate(
    `window.postMessage({ voylo: 1, event: 'call:ringing', data: { fromUri: 'sip:self@x', displayName: 'Self' } }, '*')`,
  );
  // A real event after the forgeries: when it arrives, any forged one would have too.
  await page.evaluate('Voylo.dial("nobody-here")');
  const after = await hostEvent(page, 'call:ended', () => true);
  const seen = (await hostEvents(page)).slice(before);
  t.notOk(
    seen.some((e) => e.event === 'call:ringing'),
    `the forged call:ringing reached no handler (${JSON.stringify(seen.map((e) => e.event))})`,
  );
  t.match(after.data, { statusCode: 404 }, 'the real dial to an unknown agent ended with 404');
  const calling = (await frame.evaluate('window.softphone.events')) as { event: string; data: { state?: string } }[];
  t.equal(
    calling.filter((e) => e.event === 'state' && e.data.state === 'calling').length,
    1,
    'the softphone placed one call, ours: the forged dial command was not obeyed',
  );

  // The other way: a softphone told (by its URL) that its host is another origin posts nothing
  // to the page that actually frames it.
  const rogueUrl = new URL(session.widgetUrl);
  rogueUrl.searchParams.set('host', rig.foreignOrigin);
  await page.evaluate(`(() => {
      window.fromRogue = 0;
      const rogue = document.createElement('iframe');
      rogue.id = 'rogue';
      rogue.src = ${JSON.stringify(rogueUrl.toString())};
      addEventListener('message', (e) => { if (e.source === rogue.contentWindow) window.fromRogue++; });
      document.body.appendChild(rogue);
    })()`);
  const rogue = await (await page.waitForSelector('#rogue')).contentFrame();
  if (!rogue) throw new Error('no rogue frame');
  await untilPage(rogue, 'window.softphone !== undefined');
  // it starts, finds the agent's softphone in use in the real frame, and says so to its "host"
  await untilOrThrow('the rogue frame has spoken', async () =>
    ((await rogue.evaluate('window.softphone.events')) as { event: string }[]).some((e) => e.event === 'state'),
  );
  // a message wrongly sent to this page would arrive within this span (the frames are in other processes)
  await until(async () => ((await page.evaluate('window.fromRogue')) as number) > 0, { timeoutMs: 1000 });
  t.equal(await page.evaluate('window.fromRogue'), 0, 'its events went only to the origin it was given, not to this page');
});
