/**
 * `npm run bench:widget`: the agent softphone in headless Chromium on loopback, embedded by a host
 * page on a second origin as a customer would (phone.js, Voylo.init with a minted session).
 * (1) Page load → registered: from the host page's navigation to the `ready` event it receives,
 * over WIDGET_BENCH_LOADS page loads. (2) Click → two-way audio: from the click on Call (a number
 * out through the trunk, a sipp carrier that echoes) to the moment the softphone hears its own
 * microphone tone come back, which needs audio both ways; over WIDGET_BENCH_CALLS calls, with
 * its two parts (click → 200 OK, 200 OK → audio). Prints p50/p99 and the load average.
 */
import { loadavg } from 'node:os';
import type { Frame } from 'playwright-core';
import { RECIPIENT } from '../api/calls-rig.js';
import { launchChromium } from '../helpers/chromium.js';
import { until } from '../helpers/wait.js';
import { hostEvent, mint, openHostPage, phoneState, startWidgetRig } from '../browser/agent-widget-rig.js';

const LOADS = Number(process.env.WIDGET_BENCH_LOADS ?? 20);
const CALLS = Number(process.env.WIDGET_BENCH_CALLS ?? 20);
const MIC_HZ = 1000;

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const line = (what: string, values: number[]): string =>
  `${what.padEnd(34)} p50 ${Math.round(pct(values, 50))} ms  p99 ${Math.round(pct(values, 99))} ms  (n=${values.length}, min ${Math.round(Math.min(...values))}, max ${Math.round(Math.max(...values))})`;

/**
 * Runs in the softphone frame: notes the click on Call, then looks every 5 ms at what the call
 * brings in (its own analyser, a 1024-point FFT: 21 ms of audio, no smoothing) until the mic's
 * tone stands out; `benchProbe` holds the times.
 */
const PROBE = `(() => {
  const probe = { click: 0, clickWall: 0, heard: 0, marks: {} };
  window.benchProbe = probe;
  // The first time each step of the set-up happens after the click (performance.now() ms).
  const mark = (name) => {
    if (probe.click && probe.marks[name] === undefined) probe.marks[name] = performance.now();
  };
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    mark('getUserMedia called');
    const s = await gum(c);
    mark('getUserMedia done');
    return s;
  };
  const Pc = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Pc {
    constructor(cfg) {
      super(cfg);
      mark('PeerConnection created');
      let n = 0;
      this.addEventListener('icecandidate', (e) => {
        const c = e.candidate;
        mark(c ? 'ICE candidate ' + ++n + ' (' + c.protocol + ' ' + c.address + ')' : 'ICE gathering complete');
      });
      this.addEventListener('iceconnectionstatechange', () => mark('ICE ' + this.iceConnectionState));
      this.addEventListener('connectionstatechange', () => mark('DTLS+ICE ' + this.connectionState));
      this.addEventListener('track', (e) => e.track.addEventListener('unmute', () => mark('first RTP in (track unmuted)')));
    }
    async createOffer(...a) { const o = await super.createOffer(...a); mark('offer created'); return o; }
    async setLocalDescription(...a) { const r = await super.setLocalDescription(...a); mark('local description set'); return r; }
    async setRemoteDescription(...a) { mark('answer received'); const r = await super.setRemoteDescription(...a); mark('answer applied'); return r; }
  };
  // SIP over the WebSocket (sip.js's transport): when each request leaves and each response arrives.
  const transport = window.softphone.phone().ua.transport;
  const send = transport.send.bind(transport);
  transport.send = (msg) => {
    const m = /^(INVITE|ACK) /.exec(msg);
    if (m) mark(m[1] + (m[1] === 'INVITE' && /^(Proxy-)?Authorization: /im.test(msg) ? ' (with credentials)' : '') + ' sent');
    return send(msg);
  };
  const onMessage = transport.onMessage;
  transport.onMessage = (msg) => {
    const m = /^SIP[/]2[.]0 ([0-9]{3})/.exec(msg);
    if (m && /^CSeq: *[0-9]+ INVITE/im.test(msg)) mark(m[1] + ' received');
    onMessage(msg);
  };
  const ctx = new AudioContext();
  let stream, analyser;
  const bins = new Float32Array(512);
  const target = Math.round((${MIC_HZ} * 1024) / ctx.sampleRate);
  const tick = () => {
    const sdh = window.softphone.phone()?.session?.sessionDescriptionHandler;
    const s = sdh?.remoteMediaStream;
    if (s && s !== stream && s.getAudioTracks().length) {
      stream = s;
      analyser = ctx.createAnalyser();
      analyser.fftSize = 1024;
      analyser.smoothingTimeConstant = 0;
      ctx.createMediaStreamSource(s).connect(analyser);
    }
    if (analyser) {
      analyser.getFloatFrequencyData(bins);
      let best = 2;
      for (let i = 3; i < 100; i++) if (bins[i] > bins[best]) best = i;
      if (Math.abs(best - target) <= 1 && bins[best] > -55) {
        probe.heard = performance.now();
        return;
      }
    }
    setTimeout(tick, 5);
  };
  document.querySelector('.sp-call').addEventListener('click', () => {
    probe.click = performance.now();
    probe.clickWall = Date.now();
    probe.heard = 0;
    probe.marks = {};
    stream = undefined;
    analyser = undefined;
    ctx.resume();
    tick();
  }, true);
})()`;

async function main(): Promise<void> {
  const teardowns: (() => void | Promise<void>)[] = [];
  const host = { teardown: (fn: () => void | Promise<void>) => void teardowns.push(fn) };
  try {
    console.log(`widget bench: ${LOADS} page loads, ${CALLS} calls; load average before ${load()}`);
    const rig = await startWidgetRig(host, { carrierCalls: CALLS + 5, carrierSeconds: 900 });
    const chromium = await launchChromium(undefined, { micToneHz: MIC_HZ });
    teardowns.push(() => chromium.close());
    const session = await mint(rig.cp, 'bench@cust.com', 'Bench');

    // (1) page load → registered
    const loads: number[] = [];
    const init = encodeURIComponent(JSON.stringify({ sessionToken: session.token, mode: 'inline', target: '#voylo-phone' }));
    for (let i = 0; i < LOADS; i++) {
      const page = await chromium.newPage();
      const started = Date.now();
      await page.goto(`${rig.hostOrigin}/?init=${init}`);
      const ready = await hostEvent(page, 'ready', () => true, 30000);
      loads.push(ready.at - started);
      // closing the tab releases the agent's softphone lock for the next load
      await page.close();
    }

    // (2) click → two-way audio
    const page = await chromium.newPage();
    const { frame } = await openHostPage(rig, page, session.token);
    await hostEvent(page, 'ready', () => true, 30000);
    await frame.evaluate(PROBE);
    const toAudio: number[] = [];
    const toAnswer: number[] = [];
    const answerToAudio: number[] = [];
    const steps = new Map<string, number[]>();
    let silent = 0;
    for (let i = 0; i < CALLS; i++) {
      await frame.fill('.sp-number', RECIPIENT);
      await frame.click('.sp-call');
      const heard = await until(async () => (await probe(frame)).heard > 0, { timeoutMs: 10000, intervalMs: 20 });
      const p = await probe(frame);
      const answered = ((await frame.evaluate('window.softphone.events')) as { event: string; at: number }[])
        .filter((e) => e.event === 'call:answered' && e.at >= p.clickWall)
        .at(0);
      if (heard) {
        toAudio.push(p.heard - p.click);
        // WIDGET_BENCH_TRACE=1: each call's steps in wall-clock time, to line up with server logs
        if (process.env.WIDGET_BENCH_TRACE)
          for (const [name, at] of Object.entries({ click: p.click, ...p.marks, 'audio heard': p.heard }).sort(
            (a, b) => a[1] - b[1],
          ))
            console.log(`call ${i + 1} ${new Date(p.clickWall + at - p.click).toISOString()} ${name}`);
        for (const [name, at] of Object.entries(p.marks)) {
          const list = steps.get(name) ?? [];
          list.push(at - p.click);
          steps.set(name, list);
        }
        if (answered) {
          toAnswer.push(answered.at - p.clickWall);
          answerToAudio.push(p.heard - p.click - (answered.at - p.clickWall));
        }
      } else silent++;
      await frame.click('.sp-hangup').catch(() => page.evaluate('Voylo.hangup()'));
      await until(async () => (await phoneState(frame)) === 'registered', { timeoutMs: 15000 });
    }

    console.log(line('page load → registered', loads));
    console.log(line('click → two-way audio', toAudio));
    console.log(line('  click → 200 OK (call:answered)', toAnswer));
    console.log(line('  200 OK → audio heard', answerToAudio));
    console.log('where the time goes (ms after the click, p50 over the calls that had the step):');
    const median = (v: number[]) => pct(v, 50);
    for (const [name, v] of [...steps].sort((a, b) => median(a[1]) - median(b[1])))
      console.log(
        `  ${name.padEnd(34)} ${String(Math.round(median(v))).padStart(5)}  (p99 ${Math.round(pct(v, 99))}, n=${v.length})`,
      );
    console.log(`  ${'audio heard'.padEnd(34)} ${String(Math.round(median(toAudio))).padStart(5)}`);
    if (silent) console.log(`calls with no audio within 10 s: ${silent}`);
    console.log(`aim: click → audio ≤ 300 ms p50: ${pct(toAudio, 50) <= 300 ? 'met' : 'NOT met'}; load average after ${load()}`);
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

const probe = (frame: Frame): Promise<{ click: number; clickWall: number; heard: number; marks: Record<string, number> }> =>
  frame.evaluate('({ ...window.benchProbe })');

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
