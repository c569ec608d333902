/**
 * DIAL and CONFERENCE in the engine, with a scripted call layer: the dial's result reaches the next
 * callback (`dials[]`) and drives an IF; a static script dialing a busy number is not redialed
 * forever; DIAL's session_data merges; CONFERENCE leaves on the finish key and the script goes on.
 */
import t, { type Test } from 'tap';
import type { CallbackRequest } from '../../src/flows/callback-request.js';
import { FlowEngine } from '../../src/flows/flow-engine.js';
import type {
  FlowConferenceOutcome,
  FlowConferenceRequest,
  FlowDialOutcome,
  FlowDialRequest,
  FlowTelephony,
} from '../../src/flows/telephony.js';
import { CallbackServer, FakeCallPort, FakeTts, silentLogger } from './flow-fakes.js';

const initRequest = (): CallbackRequest => ({
  type: 'init_call',
  app_id: '7',
  subaccount_id: '0',
  call_id: '42',
  start_time: new Date().toISOString(),
  direction: 'inbound',
  duration: 0,
  status: 'live-in-progress',
  detection: null,
  caller_no: '+19495551212',
  caller_no_city: null,
  caller_no_region: null,
  caller_no_country: null,
  caller_no_timezone: null,
  api_no: '+17145551212',
  api_no_city: null,
  api_no_region: null,
  api_no_country: null,
  api_no_timezone: null,
  key_presses: [],
  recordings: [],
  custom_data: null,
  session_data: null,
  end_time: null,
  sip_domain: null,
  sip_forwarded_for: null,
});

class FakeTelephony implements FlowTelephony {
  readonly dials: FlowDialRequest[] = [];
  readonly rooms: FlowConferenceRequest[] = [];
  constructor(private readonly outcome: (req: FlowDialRequest) => FlowDialOutcome) {}
  async dial(req: FlowDialRequest): Promise<FlowDialOutcome> {
    this.dials.push(req);
    return this.outcome(req);
  }
  async conference(req: FlowConferenceRequest, signal: AbortSignal): Promise<FlowConferenceOutcome> {
    this.rooms.push(req);
    const started = Date.now();
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return { reason: 'left', durationMs: Date.now() - started };
  }
}

async function setup(t: Test) {
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  const tts = new FakeTts();
  const port = new FakeCallPort();
  const engine = new FlowEngine({ tts, dataDir: '/nonexistent', logger: silentLogger, allowPrivateTargets: true });
  return { server, tts, port, engine };
}

t.test('a busy DIAL: the result reaches the next callback and drives an IF', async (t) => {
  const s = await setup(t);
  let asked = 0;
  s.server.routes.set('/flow', (req, res) => {
    asked++;
    const body =
      req.fields.type === 'init_call'
        ? {
            actions: [
              {
                type: 'DIAL',
                name: 'sales',
                params: { no: '${sessionData.agent}', caller_id_no: '+17145551212', timeout: 20 },
                session_data: { agent: '+15550001111', tries: 1 },
              },
              {
                type: 'IF',
                condition: "$dialStatus == 'busy' && $dials.sales.status != 'answered'",
                then: [{ type: 'SAY', params: { text: 'The line is busy.' } }],
                orElse: [{ type: 'SAY', params: { text: 'Connected.' } }],
              },
            ],
          }
        : { actions: [{ type: 'HANGUP' }] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const tel = new FakeTelephony(() => ({ status: 'busy', durationMs: 0, callId: '99', reason: '486 Busy Here' }));
  // The template reads session data set by the DIAL itself: it is merged before dialing.
  await s.engine.runner(s.port, { url: s.server.url('/flow'), method: 'POST', format: 'json' }, initRequest(), tel).run();
  t.equal(tel.dials.length, 1);
  t.same(tel.dials[0], { no: '+15550001111', callerIdNo: '+17145551212', ringTimeoutMs: 20000 });
  t.same(s.tts.spoken, ['The line is busy.'], 'the IF took the busy branch');
  const next = s.server.received.find((r) => r.fields.type === 'actions_complete');
  t.ok(next, 'the next callback was sent');
  t.same(next?.fields.dials, [{ name: 'sales', status: 'busy', duration: 0, call_id: '99', no: '+15550001111' }]);
  t.same(next?.fields.session_data, { agent: '+15550001111', tries: 1 }, 'DIAL session_data merged');
  t.equal(asked, 3, 'init_call, actions_complete, call_ended');
});

t.test('an answered DIAL goes on with the script; form callbacks carry the result in brackets', async (t) => {
  const s = await setup(t);
  s.server.json('/static.json', {
    actions: [
      { type: 'DIAL', params: { no: 'alice' } },
      { type: 'SAY', params: { text: 'You talked for ${dialDuration} milliseconds.' } },
      { type: 'HANGUP' },
    ],
  });
  const tel = new FakeTelephony(() => ({ status: 'answered', durationMs: 1234, callId: '5', reason: 'callee hung up' }));
  await s.engine.runner(s.port, { url: s.server.url('/static.json'), method: 'GET', format: 'query' }, initRequest(), tel).run();
  t.same(tel.dials[0], { no: 'alice', ringTimeoutMs: 60000 }, 'defaults: 60 s ring, the call’s own caller ID');
  t.same(s.tts.spoken, ['You talked for 1234 milliseconds.']);
  const final = await s.server.waitFor('call_ended');
  t.equal(final.query.get('dials[0][name]'), 'dial');
  t.equal(final.query.get('dials[0][status]'), 'answered');
  t.equal(final.query.get('dials[0][call_id]'), '5');
});

t.test('a static script that dials a busy number is not redialed until the callback limit', async (t) => {
  const s = await setup(t);
  s.server.json('/busy.json', { actions: [{ type: 'DIAL', params: { no: '+15550002222' } }] });
  let n = 0;
  const tel = new FakeTelephony(() => ({ status: 'busy', durationMs: 0, callId: String(++n), reason: 'busy' }));
  await s.engine.runner(s.port, { url: s.server.url('/busy.json'), method: 'GET', format: 'query' }, initRequest(), tel).run();
  t.ok(tel.dials.length <= 2, `dialed ${tel.dials.length} times, then the same script with nothing new hung up`);
  t.equal(s.port.events.at(-1), 'hangup');
});

t.test('without a call layer DIAL is a logged failure and the script goes on', async (t) => {
  const s = await setup(t);
  s.server.json('/x.json', {
    actions: [
      { type: 'DIAL', name: 'd', params: { no: '+15550002222' } },
      { type: 'SAY', params: { text: 'Status ${dials.d.status}.' } },
      { type: 'HANGUP' },
    ],
  });
  await s.engine.runner(s.port, { url: s.server.url('/x.json'), method: 'GET', format: 'query' }, initRequest()).run();
  t.same(s.tts.spoken, ['Status failed.']);
});

t.test('CONFERENCE: the finish key leaves the room and the script goes on', async (t) => {
  const s = await setup(t);
  s.server.json('/conf.json', {
    actions: [
      { type: 'CONFERENCE', params: { name: 'myConference', finish_on_key: 'star', muted: 'true' } },
      { type: 'SAY', params: { text: 'You have left the conference.' } },
      { type: 'HANGUP' },
    ],
  });
  s.port.keys = ['5*'];
  const tel = new FakeTelephony(() => ({ status: 'failed', durationMs: 0, callId: null, reason: 'unused' }));
  await s.engine.runner(s.port, { url: s.server.url('/conf.json'), method: 'GET', format: 'query' }, initRequest(), tel).run();
  t.same(tel.rooms, [{ name: 'myConference', muted: true, endOnExit: false }]);
  t.ok(s.port.events.includes('play:tone:finished'), 'a beep before joining');
  t.same(s.tts.spoken, ['You have left the conference.'], '5 did nothing, * left the room');
});
