/**
 * Responses the app sends through our server carry the Contact RFC 3261 §12.1.1 requires: a 180 with
 * a To tag (early dialog) and the 2xx to INVITE/SUBSCRIBE, but not a 100 or a 200 to OPTIONS.
 */
import t from 'tap';
import type Srf from 'drachtio-srf';
import { SDP, connectSrf, onMethod, startServer } from './harness.js';
import { UdpClient, headerOf, request } from './udp-client.js';

type Res = Srf.SrfResponse & { send(status: number, opts?: object): void };

t.test('180 and 200 to an INVITE carry a Contact; 100 and 200 OPTIONS do not need one', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  srf.invite((_req, res) => {
    (res as Res).send(180);
    setTimeout(() => (res as Res).send(200, { body: SDP }), 50);
  });
  onMethod(srf, 'options', (_req, res) => {
    (res as Res).send(200);
  });
  const ua = await UdpClient.open(t);
  await ua.send(request('INVITE', ua.port, { body: SDP, extra: ['Content-Type: application/sdp'] }), ts.sipPort);
  const trying = await ua.waitFor((r) => r.status === 100);
  t.equal(headerOf(trying.text, 'Contact'), undefined, '100 Trying has no Contact');
  const ringing = await ua.waitFor((r) => r.status === 180);
  t.match(headerOf(ringing.text, 'To'), /;tag=/, '180 has a To tag');
  t.equal(headerOf(ringing.text, 'Contact'), `<sip:127.0.0.1:${ts.sipPort}>`, '180 carries our Contact');
  const ok = await ua.waitFor((r) => r.status === 200);
  t.equal(headerOf(ok.text, 'Contact'), `<sip:127.0.0.1:${ts.sipPort}>`, '200 carries our Contact');

  await ua.send(request('OPTIONS', ua.port), ts.sipPort);
  const opt = await ua.waitFor((r) => r.status === 200 && /CSeq: 1 OPTIONS/.test(r.text));
  t.equal(headerOf(opt.text, 'Contact'), undefined, '200 to OPTIONS gets no Contact added');
});

t.test('a Contact the app supplies on its 180 is kept, not doubled', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  srf.invite((_req, res) => {
    (res as Res).send(180, { headers: { Contact: '<sip:app@192.0.2.1>' } });
    setTimeout(() => (res as Res).send(486), 20);
  });
  const ua = await UdpClient.open(t);
  await ua.send(request('INVITE', ua.port, { body: SDP, extra: ['Content-Type: application/sdp'] }), ts.sipPort);
  const ringing = await ua.waitFor((r) => r.status === 180);
  t.equal(ringing.text.match(/^Contact:/gim)?.length, 1, 'one Contact');
  t.equal(headerOf(ringing.text, 'Contact'), '<sip:app@192.0.2.1>');
  const busy = await ua.waitFor((r) => r.status === 486);
  t.equal(headerOf(busy.text, 'Contact'), undefined, 'a 486 needs no Contact');
});

t.test('200 to SUBSCRIBE carries a Contact', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  onMethod(srf, 'subscribe', (_req, res) => {
    (res as Res).send(200, { headers: { Expires: '60' } });
  });
  const ua = await UdpClient.open(t);
  await ua.send(request('SUBSCRIBE', ua.port, { extra: ['Event: presence', 'Expires: 60'] }), ts.sipPort);
  const ok = await ua.waitFor((r) => r.status === 200);
  t.equal(headerOf(ok.text, 'Contact'), `<sip:127.0.0.1:${ts.sipPort}>`);
});
