import t from 'tap';
import { newBranch, newCallId, newProxyBranch, newStatelessBranch, newTag, newUuid, timeOfDay } from '../../../sip/server/ids.js';
import { Dialog, DialogStore, makeDialogId } from '../../../sip/server/dialog.js';
import { canonicalize, reformatAuth, replaceLocalhost, tagOf, uriOf } from '../../../sip/server/drachtio/complete.js';
import { SipResponse } from '../../../sip/server/message.js';

t.test('generated ids have the observed shapes and do not repeat', async (t) => {
  t.match(newTag(), /^[A-Za-z0-9]{13}$/);
  t.match(newBranch(), /^z9hG4bK[A-Za-z0-9]{13}$/);
  t.match(newProxyBranch(), /^z9hG4bK[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.match(newStatelessBranch(), /^z9hG4bK\.[A-Za-z0-9]{26}$/);
  t.match(newUuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.match(newCallId(), /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.match(timeOfDay(new Date('2026-11-23T07:16:59.657Z')), /^07:16:59\.657\d{3}$/);
  const tags = new Set(Array.from({ length: 5000 }, () => newTag()));
  t.equal(tags.size, 5000);
  const ids = new Set(Array.from({ length: 5000 }, () => newCallId()));
  t.equal(ids.size, 5000);
});

t.test('dialog store finds dialogs by id and by the tags of an incoming request', async (t) => {
  const store = new DialogStore();
  const d = new Dialog({
    id: makeDialogId('c1', 'remote'),
    role: 'uas',
    callId: 'c1',
    localTag: 'local',
    remoteTag: 'remote',
    localHeader: '<sip:b@x>;tag=local',
    remoteHeader: '<sip:a@x>;tag=remote',
    remoteTarget: 'sip:a@127.0.0.1:5070',
    routeSet: [],
    localSeq: 1,
    remoteSeq: 1,
    inviteSeq: 1,
    ownerId: 'app',
  });
  store.add(d);
  t.equal(store.get('c1;from-tag=remote'), d);
  t.equal(store.match('c1', 'local', 'remote'), d);
  t.equal(store.match('c1', 'other', 'remote'), undefined);
  t.equal(store.match('c1', undefined, 'remote'), undefined);
  t.equal(d.nextSeq(), 2, 'first request from the UAS side carries CSeq 2');
  store.delete(d);
  t.equal(store.size, 0);
});

t.test('message completion helpers', async (t) => {
  t.equal(tagOf('"A" <sip:a@x;tag=notme>;tag=abc'), 'abc');
  t.equal(tagOf('<sip:a@x>'), undefined);
  t.equal(uriOf('"A" <sip:a@x;transport=tcp>;tag=1'), 'sip:a@x;transport=tcp');
  t.equal(replaceLocalhost('<sip:alice@localhost>', '127.0.0.1:5060'), '<sip:alice@127.0.0.1:5060>');
  t.equal(reformatAuth('Digest username="a",realm="r,x",nonce="n"'), 'Digest username="a", realm="r,x", nonce="n"');
  const r = new SipResponse(200, 'OK');
  for (const [n, v] of [
    ['X-App', '1'],
    ['allow', 'INVITE'],
    ['cseq', '1 INVITE'],
    ['accept', 'application/sdp'],
    ['Content-Length', '0'],
    ['to', 'b'],
    ['Via', 'v'],
    ['from', 'a'],
    ['Call-ID', 'c'],
  ])
    r.append(n!, v!);
  canonicalize(r);
  t.same(
    r.headers.map((h) => h.name),
    ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Accept', 'Allow', 'Content-Length', 'X-App'],
  );
});
