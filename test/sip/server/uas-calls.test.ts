/**
 * End to end: sipp calls in through our server to a real drachtio-srf app using createUAS.
 */
import t from 'tap';
import { runSipp } from '../../helpers/sipp.js';
import { until } from '../../helpers/wait.js';
import { SDP, connectSrf, onMethod, scenario, startServer } from './harness.js';

t.test('call answered by createUAS, hung up by the caller', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  let destroyed = false;
  let invites = 0;
  srf.invite((req, res) => {
    invites++;
    srf
      .createUAS(req, res, { localSdp: SDP, headers: { 'X-App': 'uas-answer' } })
      .then((dlg) =>
        dlg.on('destroy', () => {
          destroyed = true;
        }),
      )
      .catch(() => undefined);
  });
  const r = await runSipp(t, { scenario: scenario('uac-invite-bye.xml'), remote: ts.sip, service: 'uas', timeoutMs: 15000 });
  t.equal(r.code, 0, `sipp succeeded: ${r.errors}${r.stderr}`);
  t.equal(r.successful, 1);
  await until(() => destroyed && ts.server.stats().dialogs === 0);
  t.equal(invites, 1);
  t.ok(destroyed, 'app saw the BYE');
  t.equal(ts.server.stats().dialogs, 0, 'no dialog left');
});

t.test('call answered, hung up by the app', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  srf.invite((req, res) => {
    srf
      .createUAS(req, res, { localSdp: SDP })
      .then((dlg) => {
        setTimeout(() => {
          dlg.destroy();
        }, 300);
      })
      .catch(() => undefined);
  });
  const r = await runSipp(t, {
    scenario: scenario('uac-invite-await-bye.xml'),
    remote: ts.sip,
    service: 'uas',
    timeoutMs: 15000,
  });
  t.equal(r.code, 0, `sipp succeeded: ${r.errors}${r.stderr}`);
  t.equal(r.successful, 1);
});

t.test('call rejected with 486', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  srf.invite((_req, res) => {
    res.send(486);
  });
  const r = await runSipp(t, {
    scenario: scenario('uac-invite-rejected.xml'),
    remote: ts.sip,
    service: 'busy',
    timeoutMs: 15000,
  });
  t.equal(r.code, 0, `sipp succeeded: ${r.errors}${r.stderr}`);
});

t.test('caller cancels before answer: 200 to CANCEL, 487, app notified', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  let cancelled = false;
  srf.invite((req, res) => {
    req.on('cancel', () => {
      cancelled = true;
    });
    res.send(180);
  });
  const r = await runSipp(t, { scenario: scenario('uac-invite-cancel.xml'), remote: ts.sip, service: 'ring', timeoutMs: 15000 });
  t.equal(r.code, 0, `sipp succeeded: ${r.errors}${r.stderr}`);
  await until(() => cancelled);
  t.ok(cancelled, 'app saw the CANCEL');
});

t.test('no app routes INVITE: 503', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  onMethod(srf, 'options', (_req, res) => {
    res.send(200);
  });
  const r = await runSipp(t, {
    scenario: scenario('uac-invite-no-route.xml'),
    remote: ts.sip,
    service: 'nobody',
    timeoutMs: 15000,
  });
  t.equal(r.code, 0, `sipp succeeded: ${r.errors}${r.stderr}`);
});

t.test('OPTIONS answered by the app', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  onMethod(srf, 'options', (_req, res) => {
    res.send(200, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS' } });
  });
  const r = await runSipp(t, { scenario: scenario('uac-options.xml'), remote: ts.sip, service: 'ping', timeoutMs: 15000 });
  t.equal(r.code, 0, `sipp succeeded: ${r.errors}${r.stderr}`);
});

t.test('re-INVITE and INFO from the caller inside the dialog reach the app', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  let modified = '';
  let info = '';
  srf.invite((req, res) => {
    srf
      .createUAS(req, res, { localSdp: SDP })
      .then((d) => {
        d.on('modify', (mreq: { body: string }, mres: { send(s: number, o: object): void }) => {
          modified = mreq.body;
          mres.send(200, { body: SDP });
        });
        d.on('info', (ireq: { body: string }, ires: { send(s: number): void }) => {
          info = ireq.body;
          ires.send(200);
        });
      })
      .catch(() => undefined);
  });
  const r = await runSipp(t, {
    scenario: scenario('uac-invite-reinvite-info-bye.xml'),
    remote: ts.sip,
    service: 'uas',
    timeoutMs: 15000,
  });
  t.equal(r.code, 0, `sipp succeeded: ${r.errors}${r.stderr}`);
  t.match(modified, /a=sendonly/, 'app saw the re-INVITE offer');
  t.match(info, /Signal=5/, 'app saw the INFO body');
  await until(() => ts.server.stats().dialogs === 0);
  t.equal(ts.server.stats().dialogs, 0);
});
