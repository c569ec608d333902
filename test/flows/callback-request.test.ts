import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  type CallbackRequest,
  callbackRequestSchema,
  encodeCallbackRequest,
  toFormFields,
} from '../../src/flows/callback-request.js';
import { numberInfo } from '../../src/flows/number-info.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows/fixtures');
const seedInit = JSON.parse(readFileSync(join(fixtures, 'init-call.json'), 'utf8')) as unknown;

const request: CallbackRequest = {
  ...callbackRequestSchema.parse(seedInit),
  session_data: { name: 'Bob', age: 34, tags: ['vip', 'new'], address: { city: 'Anaheim' } },
};

t.test("the seed's init_call body matches the request type", async (t) => {
  const parsed = callbackRequestSchema.safeParse(seedInit);
  t.ok(parsed.success);
  t.same(parsed.data, seedInit, 'every field kept');
});

t.test('JSON: a POST of the body as is', async (t) => {
  const r = encodeCallbackRequest('https://flows.example.com/cb', 'json', request);
  t.equal(r.method, 'POST');
  t.equal(r.headers['content-type'], 'application/json');
  t.same(JSON.parse(r.body as string), request);
});

t.test('form: nested values in bracket notation, null empty, arrays indexed', async (t) => {
  const r = encodeCallbackRequest('https://flows.example.com/cb?app=1', 'form', request);
  t.equal(r.method, 'POST');
  t.equal(r.url, 'https://flows.example.com/cb?app=1');
  t.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
  const form = new URLSearchParams(r.body);
  t.equal(form.get('type'), 'init_call');
  t.equal(form.get('caller_no'), '+19495551212');
  t.equal(form.get('duration'), '1002');
  t.equal(form.get('key_presses[0][name]'), 'collectName');
  t.equal(form.get('key_presses[0][digits]'), '123');
  t.equal(form.get('recordings[0][id]'), 'ABC123');
  t.equal(form.get('session_data[age]'), '34');
  t.equal(form.get('session_data[tags][1]'), 'new');
  t.equal(form.get('session_data[address][city]'), 'Anaheim');
  t.equal(form.get('custom_data'), '', 'null is an empty value');
  t.match(r.body, /caller_no=%2B19495551212/, 'plus signs are escaped');
});

t.test('query: a GET with the fields appended to the URL', async (t) => {
  const r = encodeCallbackRequest('https://cdn.example.com/hello-world.json?v=2', 'query', request);
  t.equal(r.method, 'GET');
  t.equal(r.body, undefined);
  const url = new URL(r.url);
  t.equal(url.pathname, '/hello-world.json');
  t.equal(url.searchParams.get('v'), '2');
  t.equal(url.searchParams.get('call_id'), request.call_id);
  t.equal(url.searchParams.get('session_data[name]'), 'Bob');
});

t.test('XML: escaped text, user keys that are not element names kept as attributes', async (t) => {
  const r = encodeCallbackRequest('https://flows.example.com/cb', 'xml', {
    ...request,
    session_data: { note: '<b>&"x"', 'bad key': 1, xmlns: 2 },
  });
  t.equal(r.headers['content-type'], 'application/xml; charset=utf-8');
  t.match(r.body, /^<\?xml version="1.0" encoding="UTF-8"\?><callback><type>init_call<\/type>/);
  t.match(r.body, /<note>&lt;b&gt;&amp;&quot;x&quot;<\/note>/);
  t.match(r.body, /<item key="bad key">1<\/item><item key="xmlns">2<\/item>/);
  t.match(r.body, /<key_presses><item><name>collectName<\/name><digits>123<\/digits><\/item><\/key_presses>/);
  t.match(r.body, /<custom_data\/>/);
});

t.test('form fields: deep nesting is bounded', async (t) => {
  let deep: unknown = 'bottom';
  for (let i = 0; i < 50; i++) deep = { d: deep };
  const fields = toFormFields({ s: deep });
  t.equal(fields.length, 1);
  t.match(fields[0][0], /^s(\[d\]){7}$/);
  t.match(fields[0][1], /^\{"d":/);
});

t.test('number info: NANP area codes, countries, unknowns', async (t) => {
  t.same(numberInfo('+19495551212'), { country: 'US', region: 'CA', city: 'Newport Beach', timezone: 'America/Los_Angeles' });
  t.same(numberInfo('+17145551212'), { country: 'US', region: 'CA', city: 'Anaheim', timezone: 'America/Los_Angeles' });
  t.same(numberInfo('+1 (415) 555-0100'), {
    country: 'US',
    region: 'CA',
    city: 'San Francisco',
    timezone: 'America/Los_Angeles',
  });
  t.same(numberInfo('+14165550100'), { country: 'CA', region: 'ON', city: 'Toronto', timezone: 'America/Toronto' });
  t.same(numberInfo('+33612345678'), { country: 'FR', region: null, city: null, timezone: 'Europe/Paris' });
  t.same(numberInfo('+33142345678'), { country: 'FR', region: 'IDF', city: 'Paris', timezone: 'Europe/Paris' });
  t.same(numberInfo('+442071234567'), { country: 'GB', region: 'ENG', city: 'London', timezone: 'Europe/London' });
  t.same(numberInfo('+447700900123'), { country: 'GB', region: null, city: null, timezone: 'Europe/London' });
  t.equal(numberInfo('+4915112345678')?.country, 'DE');
  t.equal(numberInfo('+34612345678')?.country, 'ES');
  t.equal(numberInfo('+393123456789')?.country, 'IT');
  t.equal(numberInfo('+351912345678')?.timezone, 'Europe/Lisbon', 'three-digit country code beats a shorter one');
  t.equal(numberInfo('+61212345678')?.timezone, null, 'several zones: no guess');
  t.equal(numberInfo('+18005551212'), null, 'an unlisted NANP area code is not guessed');
  t.equal(numberInfo('+999123456789'), null);
  t.equal(numberInfo('9495551212'), null, 'not E.164');
  t.equal(numberInfo('+1__proto__'), null);
  t.equal(numberInfo('sip:alice@example.com'), null);
});

t.test('native variables: what conditions and templates read', async (t) => {
  const { nativeVariables } = await import('../../src/flows/native-variables.js');
  const { evaluateCondition } = await import('../../src/flows/expression.js');
  const { renderTemplate } = await import('../../src/flows/template.js');
  const req: CallbackRequest = {
    ...request,
    key_presses: [
      { name: 'language', digits: '2' },
      { name: 'rating', digits: '1' },
    ],
    session_data: JSON.parse('{"firstName":"Bob","gender":"male","age":19,"__proto__":{"x":1}}'),
  };
  const vars = nativeVariables(req, 12345.6);
  t.equal(vars.keyPresses, '1', 'the latest COLLECT');
  t.equal(vars.callTime, 12346);
  t.ok(evaluateCondition("$keyPresses == '1' && $sessionData.gender == 'male' || $sessionData.age > 21", vars).value);
  t.ok(evaluateCondition("$collected.language == 2 && $recordingIds.recordingName == 'ABC123'", vars).value);
  t.ok(evaluateCondition("$callerNoCity == 'Newport Beach' && $apiNoTimezone == 'America/Los_Angeles'", vars).value);
  t.equal(evaluateCondition('$sessionData.__proto__.x == 1', vars).value, false);
  t.equal(
    renderTemplate('Hello, ${sessionData.firstName}. This call lasted ${callTime} milliseconds.', vars),
    'Hello, Bob. This call lasted 12346 milliseconds.',
  );
  t.equal(nativeVariables({ ...request, key_presses: [], session_data: null }, 0).keyPresses, '');
});
