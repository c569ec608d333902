/**
 * Application events in a call (SIP INFO with `{"event", "data"}`, as the web widget's sendInfo
 * sends them): what is accepted, what is refused and with which SIP answer, the per-leg allowance,
 * and the leg and call events that carry an accepted one to the application.
 */
import t from 'tap';
import { pino } from 'pino';
import { InfoBudget, INFO_LIMITS, parseCallInfo, screenInfo } from '../../../src/calls/call-info.js';
import { Leg } from '../../../src/calls/leg.js';
import { Call } from '../../../src/calls/call.js';
import { FakeDialog, FakeEndpoint } from './fakes.js';

const logger = pino({ level: 'silent' });
const JSON_TYPE = 'application/json';

t.test('parse: JSON {event, data} only, small, with a sane event name', async (t) => {
  t.same(parseCallInfo(JSON_TYPE, '{"event":"user_signed_in","data":{"userId":"abc123"}}'), {
    status: 200,
    info: { event: 'user_signed_in', data: { userId: 'abc123' } },
  });
  t.same(parseCallInfo('Application/JSON; charset=utf-8', '{"event":"page.view"}'), {
    status: 200,
    info: { event: 'page.view', data: null },
  });
  const refused: [string, string, number][] = [
    ['text/plain', 'hello', 415],
    [JSON_TYPE, 'not json', 400],
    [JSON_TYPE, '[1,2]', 400],
    [JSON_TYPE, '{"data":1}', 400],
    [JSON_TYPE, '{"event":""}', 400],
    [JSON_TYPE, '{"event":"a b"}', 400],
    [JSON_TYPE, JSON.stringify({ event: 'x'.repeat(65) }), 400],
    [JSON_TYPE, JSON.stringify({ event: 'big', data: 'x'.repeat(INFO_LIMITS.maxBodyBytes) }), 413],
  ];
  for (const [type, body, status] of refused) {
    t.equal(parseCallInfo(type, body).status, status, `${type} ${body.slice(0, 30)}: ${status}`);
  }
});

t.test('budget: a burst is refused 503 with Retry-After, the call total 403', async (t) => {
  let now = 1_000_000;
  const budget = new InfoBudget({ perSecond: 3, perCall: 5 }, () => now);
  const ok = '{"event":"e"}';
  const statuses = () => screenInfo(budget, JSON_TYPE, ok).status;
  t.same([statuses(), statuses(), statuses()], [200, 200, 200]);
  const burst = screenInfo(budget, JSON_TYPE, ok);
  t.match(burst, { status: 503, headers: { 'Retry-After': '1' } }, 'the fourth in a second');
  t.equal(screenInfo(budget, JSON_TYPE, 'nope').status, 400, 'a malformed one is refused for what it is');
  now += 1000;
  t.same([statuses(), statuses()], [200, 200], 'the next second has room again');
  t.equal(statuses(), 403, 'five in the call: no more');
  now += 60_000;
  t.equal(statuses(), 403, 'not even later');
});

t.test("a leg answers its peer's INFO and the call carries accepted ones with the leg's role", async (t) => {
  const dialog = new FakeDialog();
  const leg = new Leg('caller', dialog, new FakeEndpoint('rtp'), logger);
  const call = new Call({ direction: 'inbound', from: 'visitor-x', to: 'wgt_x', logger });
  call.addLeg(leg);
  const seen: unknown[] = [];
  call.on('info', (i) => seen.push(i));
  t.ok(dialog.onInfo, 'the leg decides the answer to INFO');
  const answer = dialog.onInfo!({ contentType: JSON_TYPE, body: '{"event":"user_signed_in","data":{"userId":"abc123"}}' });
  t.equal(answer.status, 200);
  t.equal(dialog.onInfo!({ contentType: 'text/plain', body: 'hi' }).status, 415);
  t.same(seen, [{ event: 'user_signed_in', data: { userId: 'abc123' }, role: 'caller' }], 'only the accepted one');
  let refusedBurst = 0;
  for (let i = 0; i < INFO_LIMITS.perSecond + 2; i++)
    if (dialog.onInfo!({ contentType: JSON_TYPE, body: '{"event":"tick"}' }).status === 503) refusedBurst++;
  t.ok(refusedBurst >= 2, `a burst past ${INFO_LIMITS.perSecond} a second is refused (${refusedBurst})`);
  t.ok(seen.length <= INFO_LIMITS.perSecond, 'and never reaches the call');
  await call.hangup({ reason: 'test' });
});
