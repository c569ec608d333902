import t from 'tap';
import { EXPRESSION_LIMITS, evaluateCondition, parseExpression } from '../../src/flows/expression.js';
import { renderTemplate } from '../../src/flows/template.js';
import type { FlowVariables } from '../../src/flows/variables.js';

const vars: FlowVariables = {
  keyPresses: '1',
  callTime: 12500,
  callerNo: '+19495551212',
  sessionData: {
    gender: 'male',
    age: 19,
    isNice: true,
    firstName: 'Bob',
    nested: { level: 'gold' },
    list: ['a', 'b'],
    empty: '',
    zero: 0,
  },
};

t.test('conditions evaluate as a flow author expects', async (t) => {
  const table: [string, FlowVariables, boolean][] = [
    // The seed's sample conditions.
    ["$keyPresses == '1'", vars, true],
    ["$keyPresses == '1'", { ...vars, keyPresses: '2' }, false],
    ["$keyPresses == '1' && $sessionData.gender == 'male' || $sessionData.age > 21", vars, true],
    ["$keyPresses == '1' && $sessionData.gender == 'male' || $sessionData.age > 21", { ...vars, keyPresses: '2' }, false],
    [
      "$keyPresses == '1' && $sessionData.gender == 'male' || $sessionData.age > 21",
      { ...vars, keyPresses: '2', sessionData: { age: 30 } },
      true,
    ],
    [
      "$keyPresses == '1' && $sessionData.gender == 'male' || $sessionData.age > 21",
      { keyPresses: '1', sessionData: { gender: 'female', age: 19 } },
      false,
    ],
    // && binds tighter than ||; parentheses change that.
    ["$keyPresses == '1' && ($sessionData.gender == 'female' || $sessionData.age > 21)", vars, false],
    ['true || false && false', {}, true],
    ['(true || false) && false', {}, false],
    // Numbers and digit strings compare as numbers; other strings as strings.
    ['$keyPresses == 1', vars, true],
    ['$keyPresses != 1', vars, false],
    ['$sessionData.age >= 19', vars, true],
    ['$sessionData.age <= 18.5', vars, false],
    ['$sessionData.age < 100 && $sessionData.age > -1', vars, true],
    ['$callTime > 10000', vars, true],
    ['"10" < "9"', {}, false],
    ["'apple' < 'banana'", {}, true],
    ["'abc' > 5", {}, false],
    ['$sessionData.isNice', vars, true],
    ['$sessionData.isNice == true', vars, true],
    ['!$sessionData.isNice', vars, false],
    ['!!$sessionData.firstName', vars, true],
    ['$sessionData.empty', vars, false],
    ['$sessionData.zero', vars, false],
    ['$sessionData.nested.level == "gold"', vars, true],
    ['$sessionData.list.1 == "b"', vars, true],
    ['${sessionData.firstName} == "Bob"', vars, true],
    ["$callerNo == '+19495551212'", vars, true],
    // Missing values are null, equal only to null.
    ['$sessionData.missing == null', vars, true],
    ['$sessionData.missing == ""', vars, false],
    ['$sessionData.missing.deeper', vars, false],
    ['$nothing > 0', vars, false],
    ["'it\\'s' == \"it's\"", {}, true],
    // Objects are not comparable values.
    ['$sessionData == $sessionData', vars, false],
  ];
  for (const [src, v, expected] of table) {
    const r = evaluateCondition(src, v);
    t.equal(r.error, undefined, `${src} parses`);
    t.equal(r.value, expected, `${src} -> ${expected}`);
  }
});

t.test('hostile conditions are errors or false, quickly, and read nothing but data', async (t) => {
  const protoVars = JSON.parse('{"sessionData":{"__proto__":{"polluted":"yes"}}}') as FlowVariables;
  class Secretive {
    get secret(): string {
      throw new Error('getter ran');
    }
  }
  const trap = { sessionData: new Secretive() } as unknown as FlowVariables;
  const getterObj = {} as Record<string, unknown>;
  Object.defineProperty(getterObj, 'x', {
    enumerable: true,
    get: () => {
      throw new Error('getter ran');
    },
  });
  const hostile: [string, FlowVariables][] = [
    ['$constructor', vars],
    ['$sessionData.constructor', vars],
    ["$sessionData.constructor.constructor('return process')()", vars],
    ['constructor.constructor("return process")()', vars],
    ['$__proto__.polluted == "yes"', vars],
    ['$sessionData.__proto__', protoVars],
    ['$sessionData.prototype', vars],
    ['$sessionData.toString', vars],
    ['$sessionData.hasOwnProperty', vars],
    ['$sessionData.firstName.length > 0', vars],
    ['$sessionData.secret', trap],
    ['$sessionData.x', { sessionData: getterObj } as unknown as FlowVariables],
    ['process.exit(1)', vars],
    ['require("fs")', vars],
    ['$keyPresses = 1', vars],
    ['$a; $b', vars],
    ['`${1}`', vars],
    ["'unterminated", vars],
    ['"also unterminated', vars],
    ['${sessionData', vars],
    ['(((true)', vars],
    ['true)', vars],
    ['', vars],
    ['&&', vars],
    ['1e999 > 0', vars],
    [`'${'a'.repeat(100_000)}'`, vars],
    [`${'('.repeat(10_000)}true${')'.repeat(10_000)}`, vars],
    [`${'!'.repeat(1000)}true`, vars],
    [Array.from({ length: 600 }, () => 'true').join(' && '), vars],
    [`$${'a.'.repeat(5000)}b`, vars],
  ];
  for (const [src, v] of hostile) {
    const start = performance.now();
    const r = evaluateCondition(src, v);
    const ms = performance.now() - start;
    t.equal(r.value, false, `${src.slice(0, 60)} is false (${r.error ?? 'no error'})`);
    t.ok(ms < 50, `in ${ms.toFixed(2)} ms`);
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
  t.match(evaluateCondition("$sessionData.constructor.constructor('return process')()", vars).error, /invalid variable/);
  t.match(evaluateCondition(`${'('.repeat(10_000)}true${')'.repeat(10_000)}`, vars).error, /longer than|tokens|nested/);
  t.match(evaluateCondition(`${'('.repeat(40)}true${')'.repeat(40)}`, vars).error, /nested deeper than 32/);
  t.match(evaluateCondition("'unterminated", vars).error, /unterminated string at position 0/);
  t.equal(evaluateCondition(`${'('.repeat(30)}true${')'.repeat(30)}`, vars).value, true, 'nesting within the limit works');
  t.throws(() => parseExpression('x'.repeat(EXPRESSION_LIMITS.maxLength + 1)), { name: 'ExpressionError' });
});

t.test('templates interpolate variables and never evaluate code', async (t) => {
  t.equal(
    renderTemplate('Hello, ${sessionData.firstName}. Welcome to our conference.', vars),
    'Hello, Bob. Welcome to our conference.',
  );
  t.equal(renderTemplate('This call lasted ${callTime} milliseconds.', vars), 'This call lasted 12500 milliseconds.');
  t.equal(renderTemplate('Level ${ sessionData.nested.level }, ${$keyPresses}', vars), 'Level gold, 1');
  t.equal(renderTemplate('Missing: [${sessionData.nope}] [${nope.deeper}]', vars), 'Missing: [] []');
  t.equal(
    renderTemplate('Object: [${sessionData}] [${sessionData.list}] nice=${sessionData.isNice}', vars),
    'Object: [] [] nice=true',
  );
  t.equal(renderTemplate('${constructor} ${sessionData.constructor.name} ${__proto__} ${1+1} ${process.exit()}', vars), '    ');
  t.equal(renderTemplate('Cost: $5, ${unclosed', vars), 'Cost: $5, ${unclosed');
  t.equal(renderTemplate('no variables', vars), 'no variables');
  const big = renderTemplate('${v}'.repeat(100), { v: 'x'.repeat(10_000) });
  t.equal(big.length, 65536, 'output is bounded');
  t.equal(renderTemplate('${sessionData.list.0}', vars), 'a');
});
