import t from 'tap';
import { StreamFramer } from '../../../../sip/server/framing.js';
import { GOOD_OPTIONS } from './malformed.js';

function collect(f: StreamFramer): { messages: string[]; keepalives: number; errors: string[] } {
  const out = { messages: [] as string[], keepalives: 0, errors: [] as string[] };
  f.on('message', (m) => out.messages.push(m.toString()));
  f.on('keepalive', () => out.keepalives++);
  f.on('error', (e) => out.errors.push(e.message));
  return out;
}

const withBody = GOOD_OPTIONS.replace('Content-Length: 0', 'Content-Length: 5') + 'hello';

t.test('messages split at every byte boundary come out whole', async (t) => {
  const stream = Buffer.from(GOOD_OPTIONS + withBody + '\r\n\r\n' + GOOD_OPTIONS);
  for (let cut = 1; cut < stream.length; cut += 7) {
    const f = new StreamFramer(65535);
    const got = collect(f);
    f.push(stream.subarray(0, cut));
    f.push(stream.subarray(cut));
    t.same(got.messages, [GOOD_OPTIONS, withBody, GOOD_OPTIONS], `cut at ${cut}`);
    t.equal(got.keepalives, 1);
    t.same(got.errors, []);
  }
  const f = new StreamFramer(65535);
  const got = collect(f);
  for (const b of stream) f.push(Buffer.from([b]));
  t.same(got.messages, [GOOD_OPTIONS, withBody, GOOD_OPTIONS], 'one byte at a time');
});

t.test('keep-alive pings and pongs', async (t) => {
  const f = new StreamFramer(65535);
  const got = collect(f);
  f.push(Buffer.from('\r\n\r\n\r\n\r\n'));
  f.push(Buffer.from('\r\n'));
  f.push(Buffer.from(GOOD_OPTIONS));
  t.equal(got.keepalives, 2);
  t.same(got.messages, [GOOD_OPTIONS]);
});

t.test('compact l: header frames too', async (t) => {
  const f = new StreamFramer(65535);
  const got = collect(f);
  const m = GOOD_OPTIONS.replace('Content-Length: 0', 'l: 2') + 'ok';
  f.push(Buffer.from(m + m));
  t.same(got.messages, [m, m]);
});

t.test('missing or bad Content-Length and oversize input are errors, and the framer stops', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['missing', GOOD_OPTIONS.replace('Content-Length: 0\r\n', ''), /missing Content-Length/],
    ['bad', GOOD_OPTIONS.replace('Content-Length: 0', 'Content-Length: x'), /malformed Content-Length/],
    ['conflict', GOOD_OPTIONS.replace('Content-Length: 0', 'Content-Length: 0\r\nl: 4'), /conflicting/],
    ['too big body', GOOD_OPTIONS.replace('Content-Length: 0', 'Content-Length: 99999'), /exceeds/],
    ['endless headers', 'OPTIONS sip:x SIP/2.0\r\n' + 'X: y\r\n'.repeat(300), /exceeds/],
  ];
  for (const [name, input, re] of cases) {
    const f = new StreamFramer(1024);
    const got = collect(f);
    f.push(Buffer.from(input));
    f.push(Buffer.from(GOOD_OPTIONS));
    t.equal(got.errors.length, 1, name);
    t.match(got.errors[0], re, name);
    t.same(got.messages, [], `${name}: nothing after the error`);
  }
});

t.test('a peer dribbling one byte at a time costs linear time', async (t) => {
  const body = 'x'.repeat(30000);
  const big = GOOD_OPTIONS.replace('Content-Length: 0', `Subject: ${'s'.repeat(30000)}\r\nContent-Length: ${body.length}`) + body;
  const f = new StreamFramer(65535);
  const got = collect(f);
  const bytes = Buffer.from(big + GOOD_OPTIONS);
  // CPU time, not wall time: other test processes share the cores
  const c0 = process.cpuUsage();
  for (let i = 0; i < bytes.length; i++) f.push(bytes.subarray(i, i + 1));
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  t.same(got.messages, [big, GOOD_OPTIONS]);
  t.ok(ms < 1000, `${bytes.length} one-byte chunks in ${ms.toFixed(0)} ms of CPU`);
});
