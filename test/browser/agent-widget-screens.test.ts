/**
 * Screenshots of the agent softphone, floating and inline, in each state a call goes through
 * (idle, ringing, in call, ended), written to a temp dir (kept with SB_TEST_KEEP_SHOTS=1) and
 * checked to be pictures of something: many colours, no single colour filling the frame, and
 * each state different from the one before. Theme overrides ({primary, bg, ink, radius}) must
 * change the computed colours inside the iframe, and the launcher's on the host page.
 *
 * Requires `npm run build` (the agent bundles in dist/widget).
 */
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame, Page } from 'playwright-core';
import { ChromiumPool } from '../helpers/chromium.js';
import { untilOrThrow } from '../helpers/wait.js';
import type { Baresip } from '../helpers/baresip.js';
import { decodePng, distinctColours, dominantShare, shareOfColour, type DecodedPng } from '../helpers/png.js';
import { hostEvent, mint, openHostPage, phoneState, startDeskPhone, startWidgetRig, type WidgetRig } from './agent-widget-rig.js';

const here = dirname(fileURLToPath(import.meta.url));
// The pages load the built bundles: without them every test here would fail for a reason that hides the real one.
if (!existsSync(join(here, '..', '..', 'widget', 'agent', 'phone.js')))
  throw new Error('widget bundles missing: run npm run build first');

t.setTimeout(120000);
const browsers = new ChromiumPool(t);
const THEME = { primary: '#d62828', bg: '#102030', ink: '#f1f1f1', radius: '20' };

let rig: WidgetRig;
let bob: Baresip;
let shots: string;

t.before(async () => {
  shots = mkdtempSync(join(tmpdir(), 'sb-agentui-shots-'));
  if (process.env.SB_TEST_KEEP_SHOTS === '1') t.comment(`screenshots kept in ${shots}`);
  else t.teardown(() => rmSync(shots, { recursive: true, force: true }));
  rig = await startWidgetRig(t);
  bob = await startDeskPhone(t, rig, 600);
});

/** A screenshot saved under `name`, decoded. */
async function shoot(page: Page, name: string, selector?: string): Promise<{ png: Buffer; img: DecodedPng }> {
  const png = selector ? await page.locator(selector).screenshot() : await page.screenshot();
  writeFileSync(join(shots, `${name}.png`), png);
  return { png, img: decodePng(png) };
}

/** Walks one softphone through idle, ringing, in call and ended, checking a screenshot at each. */
async function statesOnCamera(t: Test, mode: 'floating' | 'inline', page: Page, frame: Frame, username: string): Promise<void> {
  // floating: the whole viewport (launcher and open panel); inline: the frame inside the CRM's div
  const selector = mode === 'inline' ? '#voylo-phone' : undefined;
  const checkState = async (state: string, label: RegExp) => {
    await untilOrThrow(`${state} shown`, async () => label.test((await frame.textContent('.sp-state')) ?? ''), {
      timeoutMs: 20000,
    });
    // one frame painted after the DOM change
    await frame.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    const shot = await shoot(page, `${mode}-${state}`, selector);
    const colours = distinctColours(shot.img);
    const flat = dominantShare(shot.img);
    t.ok(shot.img.width >= 300 && shot.img.height >= 400, `${mode} ${state}: ${shot.img.width}x${shot.img.height}`);
    t.ok(colours >= 30, `${mode} ${state}: ${colours} distinct colours (text and controls, not a blank)`);
    // a white card with a few controls is mostly white; a blank frame is all one colour
    t.ok(flat < 0.97, `${mode} ${state}: ${((1 - flat) * 100).toFixed(1)}% of it is not the background colour`);
    return shot.png;
  };
  if (mode === 'floating') {
    const closed = await shoot(page, 'floating-launcher');
    t.ok(distinctColours(closed.img) >= 10, 'floating, closed: the launcher is drawn');
    await page.click('.voylo-launcher');
  }
  const idle = await checkState('idle', /^Ready$/);
  const mark = Date.now();
  await bob.dial(`sip:${username}@127.0.0.1:${rig.udp}`);
  await hostEvent(page, 'call:ringing', (e) => e.at >= mark);
  const ringing = await checkState('ringing', /^Incoming call$/);
  t.match(await frame.textContent('.sp-incoming'), /Bob Desk/, 'ringing shows the caller');
  const up = bob.waitFor('CALL_ESTABLISHED', 20000);
  await frame.click('.sp-answer');
  await up;
  const inCall = await checkState('in-call', /^In call$/);
  await bob.hangup();
  await hostEvent(page, 'call:ended', (e) => e.at >= mark);
  await untilOrThrow('registered again', async () => (await phoneState(frame)) === 'registered');
  const ended = await checkState('ended', /^Ready$/);
  t.match(await frame.textContent('.sp-last'), /Bob Desk ended: remote hangup/, 'ended: the softphone says how the call ended');
  const all = [idle, ringing, inCall, ended];
  t.ok(
    all.every((png, i) => i === 0 || !png.equals(all[i - 1]!)),
    `${mode}: each state looks different from the one before`,
  );
}

t.test('inline mode in each state, default theme', async (t) => {
  const session = await mint(rig.cp, 'ida@cust.com', 'Ida');
  const harness = await browsers.harness(t);
  const page = await harness.newPage();
  await page.setViewportSize({ width: 800, height: 640 });
  const { frame } = await openHostPage(rig, page, session.token, { mode: 'inline' });
  await hostEvent(page, 'ready');
  const colours = await frame.evaluate(`(() => {
    const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
    return { bg: css('body', 'backgroundColor'), ink: css('.sp-agent', 'color'), primary: css('.sp-call', 'backgroundColor') };
  })()`);
  t.same(colours, { bg: 'rgb(255, 255, 255)', ink: 'rgb(14, 42, 46)', primary: 'rgb(91, 108, 184)' }, 'the default colours');
  await statesOnCamera(t, 'inline', page, frame, session.agent.username);
});

t.test('floating mode in each state, with theme overrides', async (t) => {
  const session = await mint(rig.cp, 'jules@cust.com', 'Jules');
  const harness = await browsers.harness(t);
  const page = await harness.newPage();
  await page.setViewportSize({ width: 800, height: 640 });
  const { frame } = await openHostPage(rig, page, session.token, { mode: 'floating', theme: THEME });
  await hostEvent(page, 'ready');
  const inside = await frame.evaluate(`(() => {
    const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
    return {
      bg: css('body', 'backgroundColor'),
      ink: css('.sp-agent', 'color'),
      primary: css('.sp-call', 'backgroundColor'),
      radius: css('.sp-call', 'borderTopLeftRadius'),
    };
  })()`);
  t.same(
    inside,
    { bg: 'rgb(16, 32, 48)', ink: 'rgb(241, 241, 241)', primary: 'rgb(214, 40, 40)', radius: '20px' },
    'theme overrides are the computed colours and radius inside the iframe',
  );
  const launcher = await page.evaluate(`getComputedStyle(document.querySelector('.voylo-launcher')).backgroundColor`);
  t.equal(launcher, 'rgb(214, 40, 40)', 'the launcher on the host page takes the primary colour');
  await statesOnCamera(t, 'floating', page, frame, session.agent.username);
  const panel = decodePng(await page.locator('.voylo-panel').screenshot());
  t.ok(shareOfColour(panel, [16, 32, 48]) > 0.3, 'the open panel is painted in the theme background');
});

t.test('a hostile theme is dropped, not injected', async (t) => {
  const session = await mint(rig.cp, 'kim@cust.com', 'Kim');
  const harness = await browsers.harness(t);
  const theme = { primary: 'red;background:url(http://127.0.0.1:9/x)', bg: 'expression(alert(1))', ink: '#0f0', radius: '9999' };
  const { page, frame } = await openHostPage(rig, await harness.newPage(), session.token, { mode: 'inline', theme });
  await hostEvent(page, 'ready');
  const src = await page.getAttribute('iframe.voylo-frame', 'src');
  t.notMatch(src, /url|expression|9999/, `the frame URL carries only the valid overrides (${src})`);
  const inside = await frame.evaluate(`(() => ({
    bg: getComputedStyle(document.body).backgroundColor,
    ink: getComputedStyle(document.querySelector('.sp-agent')).color,
    primary: getComputedStyle(document.querySelector('.sp-call')).backgroundColor,
  }))()`);
  t.same(inside, { bg: 'rgb(255, 255, 255)', ink: 'rgb(0, 255, 0)', primary: 'rgb(91, 108, 184)' }, 'only the valid ink applies');
});
