import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import t from 'tap';
import { PARSE_LIMITS, collectLabels, parseActions, parseCallbackResponse } from '../../src/flows/actions/parse.js';
import type { CollectAction, FlowAction, IfAction } from '../../src/flows/actions/schema.js';
import { evaluateCondition } from '../../src/flows/expression.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows/fixtures');
const load = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8'));

t.test("the seed's sample scripts parse without errors", async (t) => {
  for (const name of [
    'hello-world',
    'conference-greeting',
    'multi-action-processing',
    'conditional-processing',
    'variable-processing',
  ]) {
    const r = parseCallbackResponse(load(name));
    t.same(r.errors, [], `${name}: no errors`);
    t.ok(r.actions.length >= 2, `${name}: ${r.actions.map((a) => a.type).join(' ')}`);
  }
  const conf = parseCallbackResponse(load('conference-greeting')).actions;
  t.same(conf[0], { type: 'SAY', params: { text: 'Hello, ${sessionData.firstName}. Welcome to our conference.', loop: 1 } });
  t.same(conf[1], {
    type: 'CONFERENCE',
    params: { name: 'myConference', muted: false, end_on_exit: false, beep: true, finish_on_key: '#' },
  });

  const multi = parseCallbackResponse(load('multi-action-processing')).actions;
  t.same(
    multi.map((a) => a.type),
    ['SAY', 'GOTO', 'SAY', 'LABEL', 'SAY', 'HANGUP'],
  );
  t.same(multi[1], { type: 'GOTO', params: { label: 'MY_LABEL' } }, 'comment dropped');
  t.same(multi[3], { type: 'LABEL', name: 'MY_LABEL' });
  t.ok(collectLabels(multi).labels.has('MY_LABEL'));

  const cond = parseCallbackResponse(load('conditional-processing')).actions;
  const collect = cond[0] as CollectAction;
  t.same(collect.params, { finish_on_key: '#', num_digits: 1, timeout: 5000 });
  t.equal(collect.name, 'rating');
  t.equal(collect.actions.length, 1);
  t.equal(collect.actions[0].type, 'SAY');
  const ifAction = cond[1] as IfAction;
  t.equal(ifAction.condition, "$keyPresses == '1'");
  t.equal(ifAction.then[0].type, 'SAY');
  t.equal(ifAction.orElse[0].type, 'SAY');
  t.equal(evaluateCondition(ifAction.condition, { keyPresses: '1' }).value, true);

  const vars = parseCallbackResponse(load('variable-processing')).actions;
  t.same(vars[0], { type: 'SESSIONDATA', session_data: { gender: 'male', age: 19, isNice: true } });
  t.notOk('comments' in vars[1], 'comments dropped');
});

t.test('types are case-insensitive; defaults fill what a script leaves out', async (t) => {
  const r = parseActions([
    { type: 'say', params: { text: 'hi', loop: '2' } },
    { type: ' Pause ' },
    {
      type: 'Collect',
      params: { finish_on_key: 'star', num_digits: '4' },
      actions: [{ type: 'play', params: { url: 'https://example.com/a.wav' } }],
    },
    { type: 'record', name: 'voicemail', params: { max_length: 30000, beep: 'false' } },
    { type: 'dial', params: { no: '+14155550100', caller_id_no: '+19495551212' }, session_data: { ticket: 7 } },
    { type: 'redirect', params: { url: 'http://127.0.0.1:9/next', method: 'get' } },
    { type: 'hangup', extra: 1 },
  ]);
  t.same(r.errors, []);
  t.same(r.actions, [
    { type: 'SAY', params: { text: 'hi', loop: 2 } },
    { type: 'PAUSE', params: { length: 1000 } },
    {
      type: 'COLLECT',
      params: { finish_on_key: '*', num_digits: 4, timeout: 5000 },
      actions: [{ type: 'PLAY', params: { url: 'https://example.com/a.wav', loop: 1 } }],
    },
    { type: 'RECORD', name: 'voicemail', params: { max_length: 30000, finish_on_key: '#', timeout: 5000, beep: false } },
    { type: 'DIAL', params: { no: '+14155550100', caller_id_no: '+19495551212', timeout: 60 }, session_data: { ticket: 7 } },
    { type: 'REDIRECT', params: { url: 'http://127.0.0.1:9/next', method: 'GET' } },
    { type: 'HANGUP' },
  ] satisfies FlowAction[]);
});

t.test('bad actions are reported and skipped; the rest of the flow stays', async (t) => {
  const lines: { msg: string; path?: string; type?: string }[] = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const r = parseActions(
    [
      { type: 'SAY', params: { text: 'first' } },
      { type: 'TELEPORT', params: {} },
      { type: 'SAY' },
      'not an object',
      { params: {} },
      { type: 'PLAY', params: { url: 'file:///etc/passwd' } },
      { type: 'COLLECT', actions: [{ type: 'HANGUP' }, { type: 'SAY', params: { text: 'press 1' } }] },
      { type: 'IF', condition: 'true', then: [{ type: 'BOGUS' }, { type: 'HANGUP' }], orElse: 'nope' },
      { type: 'GOTO', params: { label: '' } },
      { type: 'COLLECT', params: { finish_on_key: 'enter' } },
      { type: '__proto__' },
      { type: 'constructor' },
      { type: 'SAY', params: { text: 'last' } },
    ],
    logger,
  );
  t.same(
    r.actions.map((a) => a.type),
    ['SAY', 'COLLECT', 'IF', 'SAY'],
  );
  t.same(
    r.errors.map((e) => e.path),
    [
      'actions[1]',
      'actions[2]',
      'actions[3]',
      'actions[4]',
      'actions[5]',
      'actions[6].actions[0]',
      'actions[7].then[0]',
      'actions[7].orElse',
      'actions[8]',
      'actions[9]',
      'actions[10]',
      'actions[11]',
    ],
  );
  t.match(r.errors[0], { type: 'TELEPORT', message: 'unknown action type "TELEPORT"' });
  t.match(r.errors[1].message, /^SAY: params: /);
  t.match(r.errors[4].message, /http\(s\) URL/);
  t.match(r.errors[5].message, /COLLECT can only play SAY, PLAY and PAUSE prompts, not HANGUP/);
  t.equal((r.actions[1] as CollectAction).actions.length, 1);
  t.same(
    (r.actions[2] as IfAction).then.map((a) => a.type),
    ['HANGUP'],
  );
  t.equal(lines.length, r.errors.length, 'each error logged');
  t.match(lines[0], { msg: 'call flow: unknown action type "TELEPORT"', path: 'actions[1]', type: 'TELEPORT' });
});

t.test('hostile answers cost little', async (t) => {
  let deep: unknown[] = [{ type: 'HANGUP' }];
  for (let i = 0; i < 1000; i++) deep = [{ type: 'IF', condition: 'true', then: deep }];
  const start = performance.now();
  const r = parseActions(deep);
  t.ok(r.errors.some((e) => /nested deeper than 16/.test(e.message)));
  const many = parseActions(Array.from({ length: 100_000 }, () => ({ type: 'HANGUP' })));
  t.equal(many.actions.length, PARSE_LIMITS.maxActions);
  t.equal(many.errors.length, 1);
  t.ok(performance.now() - start < 2000, `${(performance.now() - start).toFixed(0)} ms`);
  const huge = parseActions([{ type: 'SAY', params: { text: 'x'.repeat(100_000) } }]);
  t.equal(huge.actions.length, 0);
  t.match(huge.errors[0].message, /SAY: params.text/);
});

t.test('callback answers: envelope, bare array, empty body, garbage', async (t) => {
  t.equal(parseCallbackResponse({ actions: [{ type: 'HANGUP' }] }).actions.length, 1);
  t.equal(parseCallbackResponse([{ type: 'HANGUP' }]).actions.length, 1);
  t.same(parseCallbackResponse(''), { actions: [], errors: [] });
  t.same(parseCallbackResponse(undefined), { actions: [], errors: [] });
  t.match(parseCallbackResponse({ nothing: true }).errors, [{ message: /expected \{"actions"/ }]);
  t.match(parseCallbackResponse('<Response/>').errors, [{ message: /expected/ }]);
  t.match(parseCallbackResponse({ actions: { type: 'HANGUP' } }).errors, [{ message: 'expected an array of actions' }]);
  const dup = parseActions([
    { type: 'LABEL', name: 'A' },
    { type: 'IF', condition: 'true', then: [{ type: 'LABEL', name: 'A' }] },
  ]);
  t.same(collectLabels(dup.actions).duplicates, ['A']);
});
