/**
 * Embed sessions on the call layer's fakes: single-use URLs with a clock, SIP credentials that exist
 * only between the open and the page's one INVITE, the roles a page joins with (talker, listen-only
 * monitor, the waiting call's agent), INVITEs that wait for the call to connect, and nothing left
 * once the call ends.
 */
import t from 'tap';
import { pino } from 'pino';
import { Call } from '../../../src/calls/call.js';
import { Leg } from '../../../src/calls/leg.js';
import { EmbedSessions } from '../../../src/calls/embed-sessions.js';
import { EmbedTokens } from '../../../src/calls/embed-tokens.js';
import type { InboundInvite } from '../../../src/calls/ports.js';
import type { CallRecord } from '../../../src/store/index.js';
import { FakeDialog, FakeEndpoint, FakeInvite, FakeSession, until } from './fakes.js';

const logger = pino({ level: 'silent' });

function rig(opts: { waiting?: boolean; connectTimeoutMs?: number } = {}) {
  let now = Date.parse('2026-12-01T12:00:00Z');
  const session = new FakeSession();
  const call = new Call({ direction: 'outbound', from: '+14155550100', to: '+33612345678', logger }, session);
  const admitted: { invite: InboundInvite; ref: string }[] = [];
  const embeds = new EmbedSessions({
    secret: 'k'.repeat(64),
    liveCall: (id) => (id === 7 ? call : undefined),
    browser: {
      isWaiting: (ref) => opts.waiting === true && ref === 'CAref',
      admit: (invite, ref) => {
        admitted.push({ invite, ref });
        return true;
      },
    },
    connectTimeoutMs: opts.connectTimeoutMs ?? 2000,
    logger,
    now: () => now,
  });
  const record = { id: 7, projectId: 3, telephonyRef: 'CAref', status: 'in-progress' } as CallRecord;
  const party = (role: 'caller' | 'callee'): FakeDialog => {
    const d = new FakeDialog();
    call.addLeg(new Leg(role, d, new FakeEndpoint('rtp'), logger));
    return d;
  };
  return { embeds, call, session, record, admitted, party, tick: (ms: number) => (now += ms) };
}

const embedInvite = (user: string): FakeInvite => new FakeInvite('call-7', undefined, { kind: 'user', user });
const tokenOf = (embeds: EmbedSessions, record: CallRecord, role: 'agent' | 'talk' | 'listen') =>
  embeds.create(record, role).token;

t.test('a URL opens once; its credentials live from the open to its one INVITE', async (t) => {
  const r = rig();
  r.party('caller');
  r.party('callee');
  const token = tokenOf(r.embeds, r.record, 'talk');
  const id = token.split('.')[0]!;
  t.equal(r.embeds.sipCredential(`embed-${id}`), undefined, 'no credentials before the page opened');
  const opened = r.embeds.open(token);
  if (!opened.ok) throw new Error('not opened');
  t.match(opened, { role: 'talk', callId: 7, sipUser: `embed-${id}` });
  t.same(r.embeds.sipCredential(opened.sipUser), { password: opened.sipPassword });
  t.match(r.embeds.open(token), { ok: false, status: 410, reason: /already used/ }, 'the second open is refused');

  const invite = embedInvite(opened.sipUser);
  t.ok(r.embeds.claim(invite), 'the embed INVITE is claimed, whatever it dials');
  await until(() => r.session.mixerParties.length === 3, 'joined the mixer');
  t.same(
    r.session.mixerParties.map((p) => p.listenOnly ?? false),
    [false, false, false],
    'the two parties and the talker, all heard',
  );
  t.equal(r.embeds.sipCredential(opened.sipUser), undefined, 'the credentials die with the INVITE');
  const replay = embedInvite(opened.sipUser);
  t.ok(r.embeds.claim(replay));
  t.same(
    replay.finals.map((f) => f.status),
    [404],
    'a second INVITE finds nothing',
  );

  // The talker leaving ends only its leg.
  invite.dialog!.remoteBye();
  await until(() => r.call.legs.find((l) => l.role === 'talker')?.ended === true, 'talker left');
  t.notOk(r.call.isEnded(), 'the call goes on');
  await r.call.hangup();
  t.equal(r.embeds.size, 0, 'the call ending forgets its sessions');
});

t.test('listen joins listen-only; expiry, forgery and other users', async (t) => {
  const r = rig();
  r.party('caller');
  r.party('callee');
  const listen = r.embeds.open(tokenOf(r.embeds, r.record, 'listen'));
  if (!listen.ok) throw new Error('not opened');
  const invite = embedInvite(listen.sipUser);
  r.embeds.claim(invite);
  await until(() => r.session.mixerParties.length === 3, 'joined');
  t.equal(r.session.mixerParties[2]!.listenOnly, true, 'the mixer takes the listener as listen-only');
  t.equal(r.call.legs.at(-1)!.role, 'monitor');
  invite.dialog!.remoteBye();
  await until(() => r.call.legs.at(-1)!.ended, 'listener left');
  t.notOk(r.call.isEnded(), 'a listener leaving leaves the call up');

  const late = tokenOf(r.embeds, r.record, 'listen');
  r.tick(300_000);
  t.match(r.embeds.open(late), { ok: false, status: 410, reason: /expired/ }, 'at five minutes the URL is expired');
  const other = new EmbedTokens('another key').sign({
    id: late.split('.')[0]!,
    projectId: 3,
    callId: 7,
    role: 'listen',
    exp: Number(late.split('.')[1]),
  });
  t.match(r.embeds.open(other), { ok: false, status: 403 }, 'signed with another key: 403');
  const [id, exp] = tokenOf(r.embeds, r.record, 'listen').split('.');
  const asTalk = new EmbedTokens('k'.repeat(64)).sign({ id: id!, projectId: 3, callId: 7, role: 'talk', exp: Number(exp) });
  t.match(r.embeds.open(asTalk), { ok: false, status: 403 }, 'a listen session cannot be reopened as talk');

  t.notOk(r.embeds.claim(embedInvite('alice')), "an agent's INVITE is not an embed's");
  t.notOk(r.embeds.claim(new FakeInvite('x', undefined, { kind: 'trunk', trunk: 'carrier' })), 'nor a trunk call');
  const unknown = embedInvite(`embed-${'0'.repeat(32)}`);
  t.ok(r.embeds.claim(unknown));
  t.same(
    unknown.finals.map((f) => f.status),
    [404],
  );
  await r.call.hangup();
});

t.test('talk before the call connects: the INVITE rings until both parties are on, or is refused 480', async (t) => {
  const r = rig({ connectTimeoutMs: 200 });
  r.party('caller');
  const first = r.embeds.open(tokenOf(r.embeds, r.record, 'talk'));
  const second = r.embeds.open(tokenOf(r.embeds, r.record, 'talk'));
  if (!first.ok || !second.ok) throw new Error('not opened');
  const early = embedInvite(first.sipUser);
  r.embeds.claim(early);
  await until(() => early.finals.length > 0, 'refused after the timeout');
  t.same(early.provisional, [180], 'it rang meanwhile');
  t.same(
    early.finals.map((f) => f.status),
    [480],
  );

  const waiting = embedInvite(second.sipUser);
  r.embeds.claim(waiting);
  await until(() => waiting.provisional.length === 1, 'ringing');
  r.party('callee');
  await until(() => waiting.finals[0]?.status === 200, 'answered once the callee is on');
  await until(() => r.session.mixerParties.length === 3, 'in the mixer');
  await r.call.hangup();
});

t.test('agent: only a browser-mode call waiting for its agent, which the INVITE joins', async (t) => {
  const notWaiting = rig();
  t.throws(() => notWaiting.embeds.create(notWaiting.record, 'agent'), {
    name: 'CallRequestError',
    status: 409,
    message: /^role agent: .*no agent side.*"talk"/,
  });
  const r = rig({ waiting: true });
  const opened = r.embeds.open(tokenOf(r.embeds, r.record, 'agent'));
  if (!opened.ok) throw new Error('not opened');
  const invite = embedInvite(opened.sipUser);
  t.ok(r.embeds.claim(invite));
  t.same(
    r.admitted.map((a) => a.ref),
    ['CAref'],
    "handed to the browser bridge as the call's agent",
  );
  await r.call.hangup();
  t.throws(
    () => r.embeds.create(r.record, 'talk'),
    { name: 'CallRequestError', message: /the call is over/ },
    'an ended call takes no new session',
  );
  t.match(
    r.embeds.open(tokenOf(rig().embeds, r.record, 'talk')),
    { ok: false, status: 403 },
    "another server's session is unknown here",
  );
});
