/**
 * End to end: TCP and WebSocket transports, UDP retransmissions (lost INVITE, 200, ACK) through a
 * dropping relay, and a normal call after 45 malformed messages.
 */
import t from 'tap';
import { createSocket } from 'node:dgram';
import WebSocket from 'ws';
import { runSipp } from '../../helpers/sipp.js';
import { until } from '../../helpers/wait.js';
import { SDP, connectSrf, delay, onMethod, scenario, startServer } from './harness.js';
import { UdpDropper, is200Invite, isAck, isInvite, type DropRule } from './udp-dropper.js';

t.test('call over TCP', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  srf.invite((req, res) => {
    srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
  });
  const r = await runSipp(t, {
    scenario: scenario('uac-invite-bye.xml'),
    remote: ts.sip,
    service: 'uas',
    transport: 't1',
    timeoutMs: 15000,
  });
  t.equal(r.code, 0, `sipp over TCP succeeded: ${r.errors}${r.stderr}`);
});

for (const [name, rules, expectDrops] of [
  ['lost INVITE', [isInvite], 1],
  ['lost 200 OK', [is200Invite], 1],
  ['lost ACK', [isAck], 1],
] as [string, DropRule[], number][]) {
  t.test(`UDP retransmission: ${name}`, async (t) => {
    const ts = await startServer(t);
    const srf = await connectSrf(t, ts);
    const dropper = new UdpDropper(ts.sipPort, [...rules]);
    t.teardown(() => dropper.close());
    await dropper.start();
    let invites = 0;
    let acks = 0;
    srf.invite((req, res) => {
      invites++;
      srf
        .createUAS(req, res, { localSdp: SDP })
        .then((d) =>
          d.on('ack', () => {
            acks++;
          }),
        )
        .catch(() => undefined);
    });
    const r = await runSipp(t, {
      scenario: scenario('uac-invite-bye.xml'),
      remote: `127.0.0.1:${dropper.port}`,
      service: 'uas',
      timeoutMs: 15000,
    });
    t.equal(r.code, 0, `sipp succeeded: ${r.errors}${r.stderr}`);
    t.equal(dropper.dropped.length, expectDrops, `dropped ${dropper.dropped.join(', ')}`);
    t.equal(invites, 1, 'the app saw exactly one INVITE');
    const serverOks = dropper.seen.filter((s) => s.dir === 'to-client' && s.firstLine.startsWith('SIP/2.0 200')).length;
    if (name !== 'lost INVITE') t.ok(serverOks >= 3, `200 retransmitted by the server (${serverOks} 200s incl. BYE)`);
    await until(() => ts.server.stats().dialogs === 0);
    t.equal(ts.server.stats().dialogs, 0, 'dialog ended');
  });
}

t.test('WebSocket client (subprotocol sip): REGISTER answered, INVITE answered, BYE', async (t) => {
  const ts = await startServer(t, { ws: true });
  const srf = await connectSrf(t, ts);
  onMethod(srf, 'register', (req, res) => {
    (res as unknown as { send(s: number, o: object): void }).send(200, {
      headers: { Contact: (req as unknown as { get(h: string): string }).get('Contact'), Expires: '300' },
    });
  });
  srf.invite((req, res) => {
    srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
  });
  const ws = new WebSocket(`ws://127.0.0.1:${ts.wsPort}`, 'sip');
  t.teardown(() => ws.terminate());
  const inbox: string[] = [];
  const waiters: ((s: string) => void)[] = [];
  ws.on('message', (d: Buffer) => {
    const s = d.toString();
    const w = waiters.shift();
    if (w) w(s);
    else inbox.push(s);
  });
  const next = (): Promise<string> =>
    new Promise((res, rej) => {
      const s = inbox.shift();
      if (s) {
        res(s);
        return;
      }
      waiters.push(res);
      setTimeout(() => rej(new Error('no message over ws')), 5000).unref();
    });
  await new Promise<void>((r, j) => {
    ws.once('open', () => r());
    ws.once('error', j);
  });
  t.equal(ws.protocol, 'sip');
  const host = 'df7jal23ls0d.invalid';
  const common = (method: string, seq: number, branch: string, toTag = ''): string =>
    [
      `Via: SIP/2.0/WS ${host};branch=z9hG4bK${branch}`,
      'Max-Forwards: 70',
      'From: <sip:alice@example.test>;tag=wsfrom1',
      `To: <sip:${method === 'REGISTER' ? 'alice@example.test' : 'uas@127.0.0.1'}>${toTag}`,
      'Call-ID: ws-call-1',
      `CSeq: ${seq} ${method}`,
      `Contact: <sip:alice@${host};transport=ws>`,
    ].join('\r\n');
  ws.send(`REGISTER sip:example.test SIP/2.0\r\n${common('REGISTER', 1, 'reg1')}\r\nExpires: 300\r\nContent-Length: 0\r\n\r\n`);
  const reg = await next();
  t.match(reg, /^SIP\/2\.0 200/);
  t.match(reg, /CSeq: 1 REGISTER/);
  ws.send(
    `INVITE sip:uas@127.0.0.1 SIP/2.0\r\n${common('INVITE', 2, 'inv1')}\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(SDP)}\r\n\r\n${SDP}`,
  );
  let ok = '';
  for (let i = 0; i < 5 && !ok; i++) {
    const m = await next();
    if (m.startsWith('SIP/2.0 200')) ok = m;
  }
  t.match(ok, /CSeq: 2 INVITE/);
  t.match(ok, /Contact: <sip:[^>]*transport=ws>/i, 'Contact names the ws transport');
  const toTag = /\r\nTo:[^\r]*(;tag=[^;\r]+)/.exec(ok)?.[1] ?? '';
  ws.send(`ACK sip:uas@127.0.0.1 SIP/2.0\r\n${common('ACK', 2, 'ack1', toTag)}\r\nContent-Length: 0\r\n\r\n`);
  ws.send(`BYE sip:uas@127.0.0.1 SIP/2.0\r\n${common('BYE', 3, 'bye1', toTag)}\r\nContent-Length: 0\r\n\r\n`);
  let byeOk = '';
  for (let i = 0; i < 5 && !byeOk; i++) {
    const m = await next();
    if (/^SIP\/2\.0 200[\s\S]*CSeq: 3 BYE/.test(m)) byeOk = m;
  }
  t.ok(byeOk, 'BYE answered 200 over ws');
});

t.test('a WebSocket that drops ends its dialogs: the app hears an unsolicited BYE', async (t) => {
  const ts = await startServer(t, { ws: true });
  const srf = await connectSrf(t, ts);
  const destroyed = new Promise<string>((resolve) => {
    srf.invite((req, res) => {
      srf
        .createUAS(req, res, { localSdp: SDP })
        .then((dialog) => {
          dialog.on('destroy', (msg: { get(h: string): string | undefined }) => resolve(msg.get('Reason') ?? ''));
        })
        .catch(() => undefined);
    });
  });
  const ws = new WebSocket(`ws://127.0.0.1:${ts.wsPort}`, 'sip');
  t.teardown(() => ws.terminate());
  await new Promise<void>((r, j) => {
    ws.once('open', () => r());
    ws.once('error', j);
  });
  const host = 'lost7xk2.invalid';
  const hdrs = (method: string, seq: number, branch: string, toTag = ''): string =>
    [
      `Via: SIP/2.0/WS ${host};branch=z9hG4bK${branch}`,
      'Max-Forwards: 70',
      'From: <sip:bob@example.test>;tag=wslost1',
      `To: <sip:uas@127.0.0.1>${toTag}`,
      'Call-ID: ws-lost-1',
      `CSeq: ${seq} ${method}`,
      `Contact: <sip:bob@${host};transport=ws>`,
    ].join('\r\n');
  const ok = new Promise<string>((resolve) =>
    ws.on('message', (d: Buffer) => {
      const m = d.toString();
      if (m.startsWith('SIP/2.0 200')) resolve(m);
    }),
  );
  ws.send(
    `INVITE sip:uas@127.0.0.1 SIP/2.0\r\n${hdrs('INVITE', 1, 'lost1')}\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(SDP)}\r\n\r\n${SDP}`,
  );
  const answer = await ok;
  const toTag = /\r\nTo:[^\r]*(;tag=[^;\r]+)/.exec(answer)?.[1] ?? '';
  ws.send(`ACK sip:uas@127.0.0.1 SIP/2.0\r\n${hdrs('ACK', 1, 'lost2', toTag)}\r\nContent-Length: 0\r\n\r\n`);
  await delay(200); // the ACK confirms the dialog before the connection drops (nothing to observe it by)
  const before = Date.now();
  ws.terminate();
  const timeout = delay(3000).then(() => 'timeout');
  const reason = await Promise.race([destroyed, timeout]);
  t.match(reason, /Connection lost/, 'dialog destroyed with the connection-lost reason');
  t.ok(Date.now() - before < 3000, 'within 3 s of the socket closing');
  await until(() => ts.server.stats().dialogs === 0);
  t.equal(ts.server.stats().dialogs, 0, 'no dialog left on the server');
});

t.test('45 malformed messages, then a normal call completes', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  srf.invite((req, res) => {
    srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
  });
  const sock = createSocket('udp4');
  t.teardown(() => sock.close());
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const replies: string[] = [];
  sock.on('message', (m) => replies.push(m.toString('latin1').split('\r\n')[0]!));
  const via = 'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad';
  const ok = ['From: <sip:a@x>;tag=1', 'To: <sip:b@x>', 'Call-ID: bad-1', 'CSeq: 1 INVITE', 'Max-Forwards: 70'];
  const bad: (string | Buffer)[] = [
    '',
    '\r\n\r\n',
    'garbage',
    'INVITE',
    'INVITE sip:x SIP/3.0\r\n\r\n',
    'INVITE  SIP/2.0\r\n\r\n',
    'SIP/2.0 abc OK\r\n\r\n',
    Buffer.from([0, 1, 2, 3, 255, 254]),
    Buffer.alloc(70000, 0x41),
    'INVITE sip:x SIP/2.0\r\n' + 'X'.repeat(5000) + '\r\n\r\n',
  ];
  const drop = (name: string): string => ok.filter((h) => !h.startsWith(name)).join('\r\n');
  for (const h of ['From', 'To', 'Call-ID', 'CSeq'])
    bad.push(`INVITE sip:b@x SIP/2.0\r\n${via}${h.length}\r\n${drop(h)}\r\nContent-Length: 0\r\n\r\n`);
  const cseqs = ['abc INVITE', '1', '1 BYE', '-1 INVITE', '99999999999 INVITE', '1 INV@TE'];
  for (const c of cseqs)
    bad.push(`INVITE sip:b@x SIP/2.0\r\n${via}c${c.length}\r\n${drop('CSeq')}\r\nCSeq: ${c}\r\nContent-Length: 0\r\n\r\n`);
  const vias = ['', 'SIP/2.0/UDP', 'garbage', 'SIP/2.0/UDP :5060;branch=z9hG4bKx', 'SIP/2.0/UDP [::1;branch=z9hG4bKx'];
  for (const v of vias) bad.push(`INVITE sip:b@x SIP/2.0\r\nVia: ${v}\r\n${ok.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
  const uris = ['sip:', '<sip:b@x>', 'sip:b@', 'sip:b@x:99999', 'http://x', 'sip:b@[::1'];
  for (const u of uris) bad.push(`INVITE ${u} SIP/2.0\r\n${via}u\r\n${ok.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
  const lens = ['abc', '-1', '99999', '1 2'];
  for (const l of lens) bad.push(`INVITE sip:b@x SIP/2.0\r\n${via}l\r\n${ok.join('\r\n')}\r\nContent-Length: ${l}\r\n\r\nv=0`);
  const names = [
    'From: "unterminated <sip:a@x>;tag=1',
    'To: <sip:b@x',
    'From: <sip:a@x>;tag=1\r\nFrom: <sip:c@x>;tag=2',
    'Max-Forwards: abc',
    'Call-ID: has space',
  ];
  for (const n of names) bad.push(`INVITE sip:b@x SIP/2.0\r\n${via}n\r\n${ok.join('\r\n')}\r\n${n}\r\nContent-Length: 0\r\n\r\n`);
  bad.push(`INVITE sip:b@x SIP/2.0\r\n${via}mf\r\n${drop('Max-Forwards')}\r\nMax-Forwards: 0\r\nContent-Length: 0\r\n\r\n`);
  bad.push(`CANCEL sip:b@x SIP/2.0\r\n${via}nocall\r\n${drop('CSeq')}\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n`);
  bad.push(
    `BYE sip:b@x SIP/2.0\r\n${via}nodialog\r\n${drop('To').replace('CSeq: 1 INVITE', 'CSeq: 2 BYE')}\r\nTo: <sip:b@x>;tag=nosuch\r\nContent-Length: 0\r\n\r\n`,
  );
  bad.push('OPTIONS sip:b@x SIP/2.0\r\n\r\n', 'REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9\r\n\r\n');
  bad.push('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKstray\r\nContent-Length: 0\r\n\r\n');
  t.ok(bad.length >= 45, `${bad.length} malformed messages`);
  for (const m of bad) {
    sock.send(typeof m === 'string' ? Buffer.from(m, 'latin1') : m, ts.sipPort, '127.0.0.1');
    await delay(5); // paced, so the socket's receive buffer never drops one
  }
  await until(
    () =>
      replies.some((r) => r.startsWith('SIP/2.0 400')) &&
      replies.some((r) => r.startsWith('SIP/2.0 483')) &&
      replies.filter((r) => r.startsWith('SIP/2.0 481')).length >= 2,
  );
  t.ok(
    replies.some((r) => r.startsWith('SIP/2.0 400')),
    `some 400s (${replies.length} replies)`,
  );
  t.ok(
    replies.some((r) => r.startsWith('SIP/2.0 483')),
    '483 for Max-Forwards 0',
  );
  t.ok(replies.filter((r) => r.startsWith('SIP/2.0 481')).length >= 2, '481 for CANCEL and BYE matching nothing');
  const r = await runSipp(t, { scenario: scenario('uac-invite-bye.xml'), remote: ts.sip, service: 'uas', timeoutMs: 15000 });
  t.equal(r.code, 0, `a normal call still completes: ${r.errors}${r.stderr}`);
});
