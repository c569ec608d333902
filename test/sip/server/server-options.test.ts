/**
 * The CLI runs the server alone; several apps share the load; the advertised address goes into
 * Contact.
 */
import t from 'tap';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import Srf from 'drachtio-srf';
import { SipServer } from '../../../sip/server/sip-server.js';
import { freePort, runSipp } from '../../helpers/sipp.js';
import { spawnOwned } from '../../helpers/processes.js';
import { until } from '../../helpers/wait.js';
import { SDP, SECRET, connectSrf, scenario, startServer } from './harness.js';

t.test('CLI: npm run sip-server equivalent serves an srf app', async (t) => {
  const sipPort = await freePort();
  const adminPort = await freePort();
  const cli = join(dirname(fileURLToPath(import.meta.url)), '../../../sip/server/cli.js');
  // its own process group, killed with this test even if tap kills the test (no tap loaders)
  const proc = spawnOwned(
    process.execPath,
    [
      cli,
      '--sip',
      `udp:127.0.0.1:${sipPort}`,
      '--sip',
      `tcp:127.0.0.1:${sipPort}`,
      '--admin',
      `127.0.0.1:${adminPort}`,
      '--secret',
      'S3',
      '--log-level',
      'info',
    ],
    { env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const child = proc.child;
  t.teardown(() => proc.kill());
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"ready"')) resolve();
    });
    child.once('exit', (c) => reject(new Error(`cli exited ${c}`)));
    setTimeout(() => reject(new Error('cli did not start')), 10000).unref();
  });
  const srf = new Srf();
  srf.on('error', () => undefined);
  t.teardown(() => {
    try {
      srf.disconnect();
    } catch {
      /* not connected */
    }
  });
  await new Promise<void>((r) => {
    srf.once('connect', () => r());
    void srf.connect({ host: '127.0.0.1', port: adminPort, secret: 'S3' });
  });
  srf.invite((req, res) => {
    srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
  });
  const r = await runSipp(t, {
    scenario: scenario('uac-invite-bye.xml'),
    remote: `127.0.0.1:${sipPort}`,
    service: 'uas',
    timeoutMs: 15000,
  });
  t.equal(r.code, 0, `call through the CLI server: ${r.errors}${r.stderr}`);
  // disconnect first, or srf keeps reconnecting to the stopped server and holds the process open
  try {
    srf.disconnect();
  } catch {
    /* closed */
  }
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r2) => child.once('exit', (c) => r2(c)));
  t.equal(code, 0, 'exits cleanly on SIGTERM');
});

t.test('two apps routing INVITE share the calls', async (t) => {
  const ts = await startServer(t);
  const counts = [0, 0];
  for (const i of [0, 1]) {
    const srf = await connectSrf(t, ts);
    srf.invite((req, res) => {
      counts[i]!++;
      srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
    });
  }
  const r = await runSipp(t, {
    scenario: scenario('uac-invite-bye.xml'),
    remote: ts.sip,
    service: 'uas',
    calls: 6,
    rate: 20,
    timeoutMs: 20000,
  });
  t.equal(r.code, 0, `calls completed: ${r.errors}`);
  t.equal(counts[0]! + counts[1]!, 6);
  t.ok(counts[0]! > 0 && counts[1]! > 0, `both apps got calls (${counts.join('/')})`);
});

t.test('externalAddress is advertised in Contact', async (t) => {
  const sipPort = await freePort();
  const server = new SipServer({
    listen: [`udp:127.0.0.1:${sipPort}`],
    admin: { host: '127.0.0.1', port: 0 },
    secret: SECRET,
    externalAddress: '203.0.113.7',
  });
  t.teardown(() => server.close());
  const addr = await server.start();
  // a wrong secret is covered by the a2 contract test (NO|incorrect secret, then close)
  const srf = new Srf();
  srf.on('error', () => undefined);
  t.teardown(() => {
    try {
      srf.disconnect();
    } catch {
      /* not connected */
    }
  });
  await new Promise<void>((r) => {
    srf.once('connect', () => r());
    void srf.connect({ host: '127.0.0.1', port: addr.admin.port, secret: SECRET });
  });
  srf.invite((req, res) => {
    srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
  });
  const sock = createSocket('udp4');
  t.teardown(() => sock.close());
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString()));
  const lp = sock.address().port;
  sock.send(
    Buffer.from(
      [
        `INVITE sip:uas@127.0.0.1:${sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${lp};rport;branch=z9hG4bKext1`,
        'From: <sip:a@127.0.0.1>;tag=e1',
        `To: <sip:uas@127.0.0.1:${sipPort}>`,
        'Call-ID: ext-1',
        'CSeq: 1 INVITE',
        `Contact: <sip:a@127.0.0.1:${lp}>`,
        'Max-Forwards: 70',
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(SDP)}`,
        '',
        SDP,
      ].join('\r\n'),
    ),
    sipPort,
    '127.0.0.1',
  );
  await until(() => got.some((m) => m.startsWith('SIP/2.0 200')), { timeoutMs: 10000 });
  const ok = got.find((m) => m.startsWith('SIP/2.0 200')) ?? '';
  t.match(ok, /\r\nContact: <sip:203\.0\.113\.7:\d+>/, 'Contact carries the external address');
  t.match(got[0] ?? '', /^SIP\/2\.0 100 Trying/, '100 Trying first');
});
