/**
 * RFC 3261 §8.2 at a running server, with RFC 4475's torture messages sent over UDP by a raw peer: each
 * gets the status the RFC asks for (a valid one reaches the app, which answers it), ACK and CANCEL are
 * never refused, and on TCP a framing error does not lose the answers to the requests before it.
 */
import t from 'tap';
import net from 'node:net';
import type Srf from 'drachtio-srf';
import { connectSrf, onMethod, startServer, type TestServer } from './harness.js';
import type { TeardownHost } from '../../helpers/sipp.js';
import { UdpClient, headerOf, request } from './udp-client.js';
import { TORTURE_REQUESTS } from './syntax/rfc4475.js';

type Res = Srf.SrfResponse & { send(status: number, opts?: object): void };

/** What the test app answers per method, so a valid message shows it reached the app. */
const APP_STATUS: Record<string, number> = { INVITE: 480, OPTIONS: 200, REGISTER: 200 };

async function appServer(t: TeardownHost): Promise<TestServer> {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  srf.invite((_req, res) => {
    (res as Res).send(APP_STATUS['INVITE']!);
  });
  onMethod(srf, 'options', (_req, res) => {
    (res as Res).send(APP_STATUS['OPTIONS']!);
  });
  onMethod(srf, 'register', (_req, res) => {
    (res as Res).send(APP_STATUS['REGISTER']!);
  });
  return ts;
}

t.test('RFC 4475 requests over UDP: each answered with the status the RFC asks for', async (t) => {
  const ts = await appServer(t);
  for (const [i, c] of TORTURE_REQUESTS.entries()) {
    const ua = await UdpClient.open(t);
    // several RFC messages share a branch and sent-by: keep them distinct transactions
    await ua.send(Buffer.from(c.raw.replace(/branch=(z9hG4bK[^;\s,]*)/, `branch=$1-${i}`), 'latin1'), ts.sipPort);
    const method = c.raw.slice(0, c.raw.indexOf(' '));
    const want = c.expect === 'parse' ? APP_STATUS[method]! : c.expect;
    const final = await ua.waitFor((r) => (r.status ?? 0) >= 200, 5000).catch(() => undefined);
    t.equal(final?.status, want, `${c.name} (§${c.section}): ${want}`);
    if (c.expect === 501)
      t.match(headerOf(final?.text ?? '', 'Allow'), /INVITE.*ACK|ACK.*INVITE/, `${c.name}: Allow lists what is served`);
    if (c.expect === 420)
      t.equal(
        headerOf(final?.text ?? '', 'Unsupported'),
        'nothingSupportsThis, nothingSupportsThisEither',
        'Unsupported names the options',
      );
    if (c.expect === 415) t.match(headerOf(final?.text ?? '', 'Accept'), /application\/sdp/, 'Accept names the session types');
    ua.close();
  }
});

t.test('ACK and CANCEL with unknown Require or odd URIs are never refused with 501/420', async (t) => {
  const ts = await appServer(t);
  const ua = await UdpClient.open(t);
  await ua.send(request('ACK', ua.port, { extra: ['Require: nothingSupportsThis'], toTag: 'x1' }), ts.sipPort);
  await ua.send(request('CANCEL', ua.port, { extra: ['Require: nothingSupportsThis'] }), ts.sipPort);
  const res = await ua.waitFor((r) => r.status !== undefined);
  t.equal(res.status, 481, 'CANCEL without its INVITE: 481, not 420');
  t.equal(await ua.countWithin((r) => /CSeq: 1 ACK/.test(r.text), 300), 0, 'the ACK got no response');
});

t.test('an unknown method gets 501 with Allow; a known one nobody routes gets 503', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  onMethod(srf, 'options', (_req, res) => {
    (res as Res).send(200);
  });
  const ua = await UdpClient.open(t);
  await ua.send(request('FOO', ua.port), ts.sipPort);
  const r1 = await ua.waitFor((r) => r.status !== undefined);
  t.equal(r1.status, 501);
  t.equal(headerOf(r1.text, 'Allow'), 'ACK, CANCEL, OPTIONS');
  await ua.send(request('INFO', ua.port), ts.sipPort);
  const r2 = await ua.waitFor((r) => r.status !== undefined && /INFO/.test(headerOf(r.text, 'CSeq') ?? ''));
  t.equal(r2.status, 503, 'a known method nobody routes: 503 as the drachtio-server answers');
});

t.test('TCP: a framing error after two requests still lets both be answered', async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  onMethod(srf, 'options', (_req, res) => {
    setTimeout(() => (res as Res).send(200), 200);
  });
  const sock = net.connect(ts.sipPort, '127.0.0.1');
  t.teardown(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  let got = '';
  sock.on('data', (d) => {
    got += d.toString('latin1');
  });
  const port = sock.localPort!;
  const tcp = (s: string): string => s.replace('SIP/2.0/UDP', 'SIP/2.0/TCP');
  sock.write(
    tcp(request('OPTIONS', port, { callId: 'framing-1' })) +
      tcp(request('OPTIONS', port, { callId: 'framing-2' })) +
      'OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nContent-Length: abc\r\n\r\n',
  );
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (got.match(/^SIP\/2\.0 200/gm)?.length ?? 0) < 2) await new Promise((r) => setTimeout(r, 20));
  t.equal(got.match(/^SIP\/2\.0 200/gm)?.length, 2, 'both OPTIONS answered after the broken frame');
  t.match(got, /Call-ID: framing-1/);
  t.match(got, /Call-ID: framing-2/);
});
