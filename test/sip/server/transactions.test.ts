/**
 * Transaction state machines with an in-process sender (pure unit tests) and short timers.
 */
import t from 'tap';
import { until } from '../../helpers/wait.js';
import { SipRequest, SipResponse, type SipMessage } from '../../../sip/server/message.js';
import { ServerTransaction } from '../../../sip/server/transaction/server-transaction.js';
import { ClientTransaction } from '../../../sip/server/transaction/client-transaction.js';
import type { MessageSender, SendTargetLike, SentInfo } from '../../../sip/server/transaction/timers.js';

const timers = { t1: 20, t2: 80, t4: 100 };
const udp: SendTargetLike = { transport: 'udp', host: '127.0.0.1', port: 5999 };

class Recorder implements MessageSender {
  sent: { msg: SipMessage; at: number }[] = [];
  fail = false;
  private readonly t0 = Date.now();
  async send(msg: SipMessage): Promise<SentInfo> {
    if (this.fail) throw new Error('ECONNREFUSED');
    this.sent.push({ msg, at: Date.now() - this.t0 });
    return { local: { transport: 'udp', host: '127.0.0.1', port: 5060 }, bytes: Buffer.from('x') };
  }
}

function invite(): SipRequest {
  const r = new SipRequest('INVITE', 'sip:bob@127.0.0.1:5999');
  r.append('Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport=5070');
  r.append('From', '<sip:a@x>;tag=1');
  r.append('To', '<sip:b@x>');
  r.append('Call-ID', 'c1');
  r.append('CSeq', '1 INVITE');
  return r;
}
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isAck = (x: { msg: SipMessage }): boolean => (x.msg as SipRequest).method === 'ACK';

t.test('INVITE server: non-2xx retransmitted (Timer G) until ACK', async (t) => {
  const s = new Recorder();
  const txn = new ServerTransaction({ id: 'x', request: invite(), target: udp, timers, sender: s });
  await txn.respond(new SipResponse(486, 'Busy Here'));
  await until(() => s.sent.length >= 3);
  t.ok(s.sent.length >= 3, `486 retransmitted (${s.sent.length})`);
  txn.onAck();
  t.equal(txn.state, 'confirmed');
  const n = s.sent.length;
  await until(() => txn.state === 'terminated');
  t.equal(s.sent.length, n, 'no retransmission after ACK');
  t.equal(txn.state, 'terminated', 'Timer I ended it');
});

t.test('INVITE server: 2xx retransmitted with T1 doubling capped at T2, ack-timeout after 64*T1', async (t) => {
  const s = new Recorder();
  const txn = new ServerTransaction({ id: 'x', request: invite(), target: udp, timers, sender: s });
  let timedOut = false;
  txn.on('ack-timeout', () => {
    timedOut = true;
  });
  await txn.respond(new SipResponse(200, 'OK'));
  await until(() => timedOut, { timeoutMs: 64 * timers.t1 * 5 });
  t.ok(timedOut);
  const gaps = s.sent.slice(1).map((x, i) => x.at - s.sent[i]!.at);
  t.ok(gaps[0]! >= 15 && gaps[0]! < 40, `first gap ~T1 (${gaps[0]})`);
  t.ok(gaps[1]! >= 35, `second gap ~2*T1 (${gaps[1]})`);
  t.ok(Math.max(...gaps) < 80 + 30, 'capped at T2');
  const n = s.sent.length;
  await wait(100); // the test: nothing more is sent in a span longer than T2
  t.equal(s.sent.length, n, 'no timers left');
});

t.test('retransmitted request re-sends the last response', async (t) => {
  const s = new Recorder();
  const txn = new ServerTransaction({ id: 'x', request: invite(), target: udp, timers, sender: s });
  await txn.respond(new SipResponse(180, 'Ringing'));
  txn.onRetransmission();
  await until(() => s.sent.length >= 2, { timeoutMs: 2000 });
  t.equal(s.sent.length, 2);
  t.equal((s.sent[1]!.msg as SipResponse).status, 180);
  txn.terminate();
});

t.test('INVITE client: Timer A doubling, Timer B timeout', async (t) => {
  const s = new Recorder();
  const txn = new ClientTransaction({ id: 'c', request: invite(), target: udp, timers, sender: s });
  let timeout = false;
  txn.on('timeout', () => {
    timeout = true;
  });
  await txn.start();
  await until(() => timeout, { timeoutMs: 64 * timers.t1 * 5 });
  t.ok(timeout, 'timed out');
  // sends at 0, 20, 60, 140, 300, 620, 1260(>1280? no)
  t.ok(s.sent.length >= 6 && s.sent.length <= 7, `retransmissions ${s.sent.length}`);
});

t.test('INVITE client: non-2xx is ACKed on the same branch, retransmitted finals re-ACKed', async (t) => {
  const s = new Recorder();
  const req = invite();
  const txn = new ClientTransaction({ id: 'c', request: req, target: udp, timers, sender: s });
  const seen: number[] = [];
  txn.on('response', (r) => seen.push(r.status));
  await txn.start();
  const busy = new SipResponse(486, 'Busy Here');
  busy.append('Via', req.get('via')!);
  busy.append('To', '<sip:b@x>;tag=remote');
  txn.onResponse(new SipResponse(100, 'Trying'));
  txn.onResponse(busy);
  txn.onResponse(busy);
  await until(() => s.sent.filter(isAck).length >= 2, { timeoutMs: 2000 });
  t.same(seen, [100, 486], 'retransmitted final not passed up');
  const acks = s.sent.filter((x) => (x.msg as SipRequest).method === 'ACK');
  t.equal(acks.length, 2);
  const ack = acks[0]!.msg as SipRequest;
  t.equal(ack.get('via'), req.get('via'));
  t.equal(ack.get('cseq'), '1 ACK');
  t.equal(ack.get('to'), '<sip:b@x>;tag=remote');
  txn.terminate();
});

t.test('non-INVITE client: transport error reported', async (t) => {
  const s = new Recorder();
  s.fail = true;
  const r = new SipRequest('OPTIONS', 'sip:x@127.0.0.1:5999');
  r.append('Via', 'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKabc');
  r.append('CSeq', '1 OPTIONS');
  const txn = new ClientTransaction({ id: 'c', request: r, target: udp, timers, sender: s });
  await t.rejects(txn.start());
  t.equal(txn.state, 'terminated');
});

/** A sender that can resend bytes, as the transport layer can. */
class ByteRecorder extends Recorder {
  resent: Buffer[] = [];
  override async send(msg: SipMessage): Promise<SentInfo> {
    await super.send(msg);
    return {
      local: { transport: 'udp', host: '127.0.0.1', port: 5060 },
      bytes: Buffer.from(`wire of ${(msg as SipResponse).status}`),
    };
  }
  async sendBytes(bytes: Buffer): Promise<void> {
    this.resent.push(bytes);
  }
}

t.test('non-INVITE server after its final: keeps the wire bytes and only the key headers of the request', async (t) => {
  const s = new ByteRecorder();
  const bye = new SipRequest('BYE', 'sip:bob@127.0.0.1:5999');
  bye.append('Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-9;rport=5070');
  bye.append('From', '<sip:a@x>;tag=1');
  bye.append('To', '<sip:b@x>;tag=2');
  bye.append('Call-ID', 'c9');
  bye.append('CSeq', '2 BYE');
  bye.append('User-Agent', 'tester');
  bye.append('X-Big', 'y'.repeat(2000));
  bye.body = Buffer.from('some body');
  const txn = new ServerTransaction({ id: 'b', request: bye, target: udp, timers: { t1: 500, t2: 4000, t4: 5000 }, sender: s });
  await txn.respond(new SipResponse(200, 'OK'));
  t.equal(txn.state, 'completed');
  t.equal(txn.request.body.length, 0, 'body dropped');
  t.same(
    txn.request.headers.map((h) => h.name),
    ['Via', 'From', 'To', 'Call-ID', 'CSeq'],
    'key headers kept',
  );
  t.equal(txn.request.callId, 'c9');
  t.equal(txn.lastResponse, undefined, 'parsed response dropped');
  txn.onRetransmission();
  await until(() => s.resent.length === 1, { timeoutMs: 2000 });
  t.equal(s.resent[0]!.toString(), 'wire of 200', 'retransmitted BYE answered with the same bytes');
  txn.terminate();
});

t.test('INVITE client answered 2xx: keeps only the key headers while it absorbs retransmitted 2xx', async (t) => {
  const s = new Recorder();
  const req = invite();
  req.append('Contact', '<sip:a@127.0.0.1:5070>');
  req.body = Buffer.from('v=0\r\n');
  const txn = new ClientTransaction({ id: 'c', request: req, target: udp, timers: { t1: 500, t2: 4000, t4: 5000 }, sender: s });
  await txn.start();
  txn.release();
  t.equal(txn.request.body.length, 5, 'nothing released before the final');
  const ok = new SipResponse(200, 'OK');
  ok.append('Via', req.get('via')!);
  txn.onResponse(ok);
  t.equal(txn.state, 'accepted');
  txn.release();
  t.equal(txn.request.body.length, 0);
  t.equal(txn.request.get('contact'), undefined);
  t.equal(txn.request.get('cseq'), '1 INVITE');
  txn.terminate();
});

t.test('INVITE server: a 2xx retransmission due after a stall waits for the ACK already there', async (t) => {
  const s = new Recorder();
  const txn = new ServerTransaction({ id: 'x', request: invite(), target: udp, timers, sender: s });
  await txn.respond(new SipResponse(200, 'OK'));
  // the ACK "arrives" in the same turn the retransmission timer fires, as after a main-thread stall
  setTimeout(() => txn.onAck(), timers.t1);
  const until2 = Date.now() + timers.t1 + 15;
  while (Date.now() < until2) {
    /* stall the event loop past T1 */
  }
  await until(() => txn.state === 'terminated', { timeoutMs: 2000 });
  await wait(timers.t1);
  t.equal(s.sent.length, 1, 'the 200 went out once: no retransmission after the ACK was handled');
});
