/**
 * End to end: the app originates calls (createUAC), bridges them (createB2BUA) and proxies them
 * (proxyRequest) through our server, with sipp on both sides.
 */
import t from 'tap';
import { runSipp, startSipp } from '../../helpers/sipp.js';
import { until } from '../../helpers/wait.js';
import { SDP, connectSrf, onMethod, scenario, startServer } from './harness.js';

t.test('createUAC: 100/180/200, app ACK, app BYE', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  const b = await startSipp(t, { scenario: scenario('uas-answer-await-bye.xml'), timeoutMs: 15000 });
  const dlg = await srf.createUAC(`sip:bob@127.0.0.1:${b.localPort}`, { localSdp: SDP, headers: { 'X-App': 'uac' } });
  t.ok(dlg.sip.remoteTag, 'dialog has the remote tag');
  dlg.destroy(); // the BYE follows the ACK on the same socket
  const r = await b.wait();
  t.equal(r.code, 0, `sipp-B succeeded: ${r.errors}${r.stderr}`);
  await until(() => ts.server.stats().dialogs === 0);
  t.equal(ts.server.stats().dialogs, 0);
});

t.test('createUAC rejected 486: error status, server ACKs the 486', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  const b = await startSipp(t, { scenario: scenario('uas-reject-486.xml'), timeoutMs: 15000 });
  const err = await srf.createUAC(`sip:bob@127.0.0.1:${b.localPort}`, { localSdp: SDP }).then(
    () => null,
    (e: { status?: number }) => e,
  );
  t.equal(err?.status, 486);
  const r = await b.wait();
  t.equal(r.code, 0, `sipp-B got its ACK: ${r.errors}${r.stderr}`);
});

t.test('createUAC challenged 407: digest retry succeeds', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  const b = await startSipp(t, { scenario: scenario('uas-challenge-407.xml'), timeoutMs: 15000 });
  const dlg = await srf.createUAC(`sip:bob@127.0.0.1:${b.localPort}`, {
    localSdp: SDP,
    auth: { username: 'alice', password: 'secret123' },
  });
  dlg.destroy(); // the BYE follows the ACK on the same socket
  const r = await b.wait();
  t.equal(r.code, 0, `sipp-B succeeded: ${r.errors}${r.stderr}`);
});

t.test('createUAC cancelled by the app after 180: 487', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  const b = await startSipp(t, { scenario: scenario('uas-ring-await-cancel.xml'), timeoutMs: 15000 });
  let status = 0;
  await new Promise<void>((resolve) => {
    let inviteReq: { cancel(): void } | undefined;
    srf
      .createUAC(
        `sip:ring@127.0.0.1:${b.localPort}`,
        { localSdp: SDP },
        {
          // srf 5 calls cbRequest(err, req), whatever its typings say
          cbRequest: ((_err: unknown, req: { cancel(): void }) => {
            inviteReq = req;
          }) as unknown as () => void,
          cbProvisional: (res) => {
            if (res.status === 180) setTimeout(() => inviteReq?.cancel(), 200);
          },
        },
      )
      .then(
        () => resolve(),
        (e: { status?: number }) => {
          status = e.status ?? -1;
          resolve();
        },
      );
  });
  t.equal(status, 487);
  const r = await b.wait();
  t.equal(r.code, 0, `sipp-B succeeded: ${r.errors}${r.stderr}`);
});

t.test('createB2BUA: INFO relayed, re-INVITE to B, BYE from A ends both', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  const b = await startSipp(t, { scenario: scenario('b2b-b-uas.xml'), timeoutMs: 20000 });
  let relayedInfo = false;
  srf.invite((req, res) => {
    srf
      .createB2BUA(req, res, `sip:b2b@127.0.0.1:${b.localPort}`, { localSdpB: req.body, headers: { 'X-B2B': 'yes' } })
      .then(({ uas, uac }) => {
        type Req = { body: string; get(h: string): string };
        type Res = { send(s: number, o?: object): void };
        type Dlg = { request(o: object): Promise<{ status: number; body: string }>; modify(sdp: string): Promise<unknown> };
        const u = uac as unknown as Dlg;
        uas.on('info', (ireq: Req, ires: Res) => {
          u.request({ method: 'INFO', headers: { 'Content-Type': ireq.get('Content-Type') }, body: ireq.body })
            .then((r) => {
              relayedInfo = true;
              ires.send(r.status, { body: r.body });
            })
            .then(() => u.modify(SDP.replace('s=drachtio-app', 's=modified') + 'a=recvonly\r\n'))
            .catch(() => undefined);
        });
        uas.on('destroy', () => uac.destroy());
        uac.on('destroy', () => uas.destroy());
      })
      .catch(() => undefined);
  });
  const a = await runSipp(t, { scenario: scenario('b2b-a-uac.xml'), remote: ts.sip, service: 'b2b', timeoutMs: 20000 });
  t.equal(a.code, 0, `sipp-A succeeded: ${a.errors}${a.stderr}`);
  const rb = await b.wait();
  t.equal(rb.code, 0, `sipp-B succeeded: ${rb.errors}${rb.stderr}`);
  t.ok(relayedInfo);
  await until(() => ts.server.stats().dialogs === 0);
  t.equal(ts.server.stats().dialogs, 0);
});

t.test('proxyRequest with Record-Route: call through, ACK and BYE proxied', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  const b = await startSipp(t, { scenario: scenario('uas-proxied-answer.xml'), timeoutMs: 15000 });
  let byeSeen = false;
  srf.invite((req, res) => {
    srf.proxyRequest(req, `sip:127.0.0.1:${b.localPort}`, { recordRoute: true }, () => undefined);
    void res;
  });
  onMethod(srf, 'bye', (_req, res) => {
    byeSeen = true;
    res.send(200);
  });
  const a = await runSipp(t, { scenario: scenario('uac-invite-bye.xml'), remote: ts.sip, service: 'bob', timeoutMs: 15000 });
  t.equal(a.code, 0, `sipp-A succeeded: ${a.errors}${a.stderr}`);
  const rb = await b.wait();
  t.equal(rb.code, 0, `sipp-B succeeded: ${rb.errors}${rb.stderr}`);
  t.notOk(byeSeen, 'the app is not consulted for the proxied BYE');
});

t.test('proxyRequest: target rejects 486, relayed to the caller', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  const b = await startSipp(t, { scenario: scenario('uas-reject-486.xml'), timeoutMs: 15000 });
  srf.invite((req) => {
    srf.proxyRequest(req, `sip:127.0.0.1:${b.localPort}`, {}, () => undefined);
  });
  const a = await runSipp(t, { scenario: scenario('uac-invite-rejected.xml'), remote: ts.sip, service: 'bob', timeoutMs: 15000 });
  t.equal(a.code, 0, `sipp-A succeeded: ${a.errors}${a.stderr}`);
  const rb = await b.wait();
  t.equal(rb.code, 0, `sipp-B succeeded: ${rb.errors}${rb.stderr}`);
});
