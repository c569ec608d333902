/** A user registered from a desk phone and a browser: one offer per contact, by kind; first answer wins. */
import t from 'tap';
import { until, type FakeEndpoint } from './fakes.js';
import { callLayer } from './harness.js';

const DESK = 'sip:bob@192.0.2.10:5060';
const BROWSER = 'sip:x7f@df7jal23ls0d.invalid;transport=ws';

function twoContacts() {
  const cl = callLayer();
  cl.sip.bindings.set('bob', [
    { contact: DESK, source: { transport: 'udp' } },
    { contact: BROWSER, source: { transport: 'ws' } },
  ]);
  return cl;
}

t.test('each contact gets its own endpoint and offer; the browser answers, the desk phone is cancelled', async (t) => {
  const cl = twoContacts();
  const inv = cl.invite('bob');
  await until(() => cl.sip.attempts.length === 2, 'two INVITEs');
  const [desk, browser] = cl.sip.attempts as [(typeof cl.sip.attempts)[0], (typeof cl.sip.attempts)[0]];
  t.same(desk.target, { user: 'bob', contact: DESK });
  t.same(browser.target, { user: 'bob', contact: BROWSER });
  const eps = cl.media.sessions[0]!.endpoints as FakeEndpoint[];
  // The caller's endpoint first, then one per contact.
  t.same(
    eps.map((e) => e.kind),
    ['rtp', 'rtp', 'webrtc'],
    'RTP for the desk phone, WebRTC for the browser',
  );
  browser.answer();
  await until(() => inv.finals.length > 0, 'the caller answered');
  t.same(
    inv.finals.map((f) => f.status),
    [200],
  );
  t.ok(desk.canceled, 'the desk phone got CANCEL');
  await until(() => eps[1]!.closed, "the loser's endpoint closed");
  t.notOk(eps[2]!.closed, "the winner's endpoint carries the call");
  t.equal(eps[2]!.remoteAnswer, browser.dialog!.remoteSdp, "the answer went to the winner's endpoint");
  t.same(
    cl.media.sessions[0]!.bridges.map(([a, b]) => [eps.indexOf(a as FakeEndpoint), eps.indexOf(b as FakeEndpoint)]),
    [[0, 2]],
    'the caller is bridged to the browser',
  );
});

t.test('both contacts refuse: the best failure reaches the caller, every endpoint released', async (t) => {
  const cl = twoContacts();
  const inv = cl.invite('bob');
  await until(() => cl.sip.attempts.length === 2, 'two INVITEs');
  cl.sip.attempts[0]!.fail(480, 'Temporarily Unavailable');
  cl.sip.attempts[1]!.fail(486, 'Busy Here');
  await until(() => inv.finals.length > 0, 'a final response');
  t.same(
    inv.finals.map((f) => f.status),
    [486],
    'busy wins over unavailable',
  );
  await until(() => cl.media.sessions[0]!.closed, 'session closed');
});
