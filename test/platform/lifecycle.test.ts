/**
 * The production process: `node dist/src/main.js` stops cleanly on SIGTERM and SIGINT (exit 0
 * within seconds, every port released, a final "stopped" line), and a start-up failure is one
 * line on stderr naming the culprit with a non-zero exit.
 */
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import { createServer } from 'node:net';
import { freeTcpPort, rtpRange, tempDir } from './support.js';
import { freePort } from '../helpers/sipp.js';
import { spawnPlatform, writeConfig } from './platform-process.js';

/** Ports the kernel will give us again: bound exclusively and released. */
async function canBind(kind: 'tcp' | 'udp', port: number): Promise<boolean> {
  if (kind === 'tcp') {
    return new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
    });
  }
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function baseConfig(t: Test): Promise<{ dir: string; http: number; sip: number; config: Record<string, unknown> }> {
  const dir = tempDir(t);
  const http = await freeTcpPort();
  const sip = await freePort();
  return {
    dir,
    http,
    sip,
    config: {
      logLevel: 'info',
      http: { host: '127.0.0.1', port: http },
      sip: { listen: [`udp:127.0.0.1:${sip}`, `tcp:127.0.0.1:${sip}`] },
      rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', ...rtpRange() },
      media: { workers: 1 },
    },
  };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal}: exit 0 within seconds, ports released, a final "stopped" line`, async (t) => {
    const { dir, http, sip, config } = await baseConfig(t);
    const p = spawnPlatform(t, { SWITCHBOARD_CONFIG: writeConfig(dir, config), DATA_DIR: `${dir}/data` });
    await p.line(/Switchboard is up/);
    const res = await fetch(`http://127.0.0.1:${http}/health`);
    t.ok([200, 503].includes(res.status), `HTTP answers (${res.status})`);
    t.notOk(await canBind('tcp', sip), 'SIP tcp port held while running');
    const sent = Date.now();
    process.kill(p.child.pid!, signal);
    const exit = await p.exited;
    const tookMs = exit.at - sent;
    t.equal(exit.code, 0, 'exit code 0');
    t.ok(tookMs < 5000, `stopped within 5 s (${tookMs} ms)`);
    const lines = p
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; signal?: string });
    t.match(lines.at(-1), { msg: 'stopped', signal }, 'the last line says stopped');
    t.ok(
      lines.some((l) => l.msg === 'stopping' && l.signal === signal),
      'and the signal is logged',
    );
    t.equal(p.stderr(), '', 'nothing on stderr');
    t.ok(await canBind('tcp', http), 'HTTP port free again');
    t.ok(await canBind('tcp', sip), 'SIP tcp port free again');
    t.ok(await canBind('udp', sip), 'SIP udp port free again');
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`npm start: ${signal} to npm alone stops node too, exit 0, nothing left running`, async (t) => {
    const { dir, http, sip, config } = await baseConfig(t);
    const p = spawnPlatform(t, { SWITCHBOARD_CONFIG: writeConfig(dir, config), DATA_DIR: `${dir}/data` }, { viaNpm: true });
    await p.line(/Switchboard is up/);
    const sent = Date.now();
    process.kill(p.child.pid!, signal);
    const exit = await p.exited;
    t.equal(exit.code, 0, 'npm exits 0');
    t.ok(exit.at - sent < 5000, `within 5 s (${exit.at - sent} ms)`);
    t.match(p.stdout(), /"msg":"stopped"/, 'node logged stopped');
    // the group npm led is empty: no node left behind listening
    const end = Date.now() + 5000;
    let orphan = true;
    while (orphan && Date.now() < end) {
      try {
        process.kill(-p.child.pid!, 0);
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        orphan = false;
      }
    }
    t.notOk(orphan, 'no process of the group survives');
    t.ok(await canBind('tcp', http), 'HTTP port free again');
    t.ok(await canBind('udp', sip), 'SIP udp port free again');
  });
}

/** Runs main.js expecting it to refuse to start; returns its stderr lines. */
async function refusal(t: Test, env: Record<string, string>): Promise<string[]> {
  const p = spawnPlatform(t, env);
  const exit = await p.exited;
  t.not(exit.code, 0, `exit code non-zero (${exit.code})`);
  t.equal(exit.signal, null);
  const lines = p.stderr().trimEnd().split('\n');
  t.equal(lines.length, 1, `one line on stderr: ${p.stderr().trimEnd()}`);
  t.notMatch(p.stderr(), /\n\s+at /, 'no stack trace');
  return lines;
}

t.test('an unknown key is refused, naming it and the key meant', async (t) => {
  const { dir, config } = await baseConfig(t);
  const [line] = await refusal(t, {
    SWITCHBOARD_CONFIG: writeConfig(dir, { ...config, registar: { users: [] } }),
    DATA_DIR: dir,
  });
  t.equal(line, 'switchboard: invalid configuration: unknown key "registar" (did you mean "registrar"?)');
  const [nested] = await refusal(t, {
    SWITCHBOARD_CONFIG: writeConfig(dir, { ...config, recording: { enable: true } }),
    DATA_DIR: dir,
  });
  t.equal(nested, 'switchboard: invalid configuration: unknown key "recording.enable" (did you mean "recording.enabled"?)');
});

t.test('HTTP_PORT=abc names the variable', async (t) => {
  const { dir, config } = await baseConfig(t);
  const [line] = await refusal(t, { SWITCHBOARD_CONFIG: writeConfig(dir, config), DATA_DIR: dir, HTTP_PORT: 'abc' });
  t.equal(line, 'switchboard: HTTP_PORT: expected an integer, got "abc"');
});

t.test('a SIP or HTTP port in use names the listener', async (t) => {
  const { dir, sip, config } = await baseConfig(t);
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind({ port: sip, address: '127.0.0.1', exclusive: true }, () => r()));
  t.teardown(() => udp.close());
  const [udpLine] = await refusal(t, { SWITCHBOARD_CONFIG: writeConfig(dir, config), DATA_DIR: dir });
  t.equal(udpLine, `switchboard: SIP udp 127.0.0.1:${sip} is in use`);

  const tcpPort = await freePort();
  const tcp = createServer();
  await new Promise<void>((r) => tcp.listen(tcpPort, '127.0.0.1', () => r()));
  t.teardown(() => tcp.close());
  const tcpConfig = { ...config, sip: { listen: [`udp:127.0.0.1:${tcpPort}`, `tcp:127.0.0.1:${tcpPort}`] } };
  const [tcpLine] = await refusal(t, { SWITCHBOARD_CONFIG: writeConfig(dir, tcpConfig), DATA_DIR: dir });
  t.equal(tcpLine, `switchboard: SIP tcp 127.0.0.1:${tcpPort} is in use`);

  const freeSip = await freePort();
  const httpConfig = { ...config, sip: { listen: [`udp:127.0.0.1:${freeSip}`] }, http: { host: '127.0.0.1', port: tcpPort } };
  const [httpLine] = await refusal(t, { SWITCHBOARD_CONFIG: writeConfig(dir, httpConfig), DATA_DIR: dir });
  t.equal(httpLine, `switchboard: HTTP 127.0.0.1:${tcpPort} is in use`);
});

t.test('an unreachable external drachtio server is named', async (t) => {
  const { dir, config } = await baseConfig(t);
  const closed = await freeTcpPort();
  const [line] = await refusal(t, {
    SWITCHBOARD_CONFIG: writeConfig(dir, config),
    DATA_DIR: dir,
    DRACHTIO_HOST: '127.0.0.1',
    DRACHTIO_PORT: String(closed),
    DRACHTIO_SECRET: 's',
  });
  t.equal(line, `switchboard: cannot connect to the drachtio server 127.0.0.1:${closed} (ECONNREFUSED)`);
});
