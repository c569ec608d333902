/**
 * SIGTERM with a recorded phone-to-phone call up: both phones get BYE, the call's recording
 * (`recordings/<call id>.wav`, kept after the call) is finished (its WAV header counts every byte
 * written), and the process still exits 0 with "stopped" last.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeMediaPort, freePort, runSipp, startSipp } from '../helpers/sipp.js';
import { freeTcpPort, rtpRange, tempDir } from './support.js';
import { spawnPlatform, writeConfig } from './platform-process.js';

// Scenarios stay in the source tree (dist/test/platform -> test/platform/scenarios).
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/platform/scenarios');

/** RIFF and data chunk sizes as the header states them, against the bytes really in the file. */
function wavSizes(path: string): { riff: number; data: number; fileBytes: number; dataBytes: number } {
  const file = readFileSync(path);
  let at = 12;
  while (at + 8 <= file.length) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    if (id === 'data') return { riff: file.readUInt32LE(4), data: size, fileBytes: file.length, dataBytes: file.length - at - 8 };
    at += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

t.test('SIGTERM during a recorded call: BYE to both phones, the recording finished, exit 0', async (t) => {
  const dir = tempDir(t);
  const http = await freeTcpPort();
  const sip = await freePort();
  const config = {
    logLevel: 'info',
    http: { host: '127.0.0.1', port: http, healthDetails: true },
    sip: { listen: [`udp:127.0.0.1:${sip}`] },
    registrar: {
      users: [
        { username: 'alice', password: 'alice-secret-1' },
        { username: 'bob', password: 'bob-secret-1' },
      ],
    },
    rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', ...rtpRange() },
    media: { workers: 1 },
    recording: { enabled: true },
  };
  const dataDir = join(dir, 'data');
  const p = spawnPlatform(t, { SWITCHBOARD_CONFIG: writeConfig(dir, config), DATA_DIR: dataDir });
  await p.line(/Switchboard is up/);

  // bob: one sipp registers from port P (calls go where the REGISTER came from), then the
  // answering sipp, echoing RTP, takes over P and stays on the call until BYE
  const bobPort = await freePort();
  const reg = await runSipp(t, {
    scenario: join(scenarios, 'register-contact.xml'),
    remote: `127.0.0.1:${sip}`,
    localPort: bobPort,
    timeoutMs: 10000,
    keys: { user: 'bob', contact_port: String(bobPort) },
    extraArgs: ['-au', 'bob', '-ap', 'bob-secret-1'],
  });
  t.equal(reg.code, 0, `bob registered ${reg.code ? reg.errors.slice(0, 400) : ''}`);
  const bob = await startSipp(t, {
    scenario: join(scenarios, 'phone-answer-await-bye.xml'),
    localPort: bobPort,
    timeoutMs: 60000,
    extraArgs: ['-rtp_echo', '-mp', String(await freeMediaPort()), '-mi', '127.0.0.1'],
  });

  // alice calls bob and stays on the call until the platform hangs up
  const alice = runSipp(t, {
    scenario: join(scenarios, 'uac-call-await-bye.xml'),
    remote: `127.0.0.1:${sip}`,
    service: 'bob',
    timeoutMs: 60000,
    keys: { caller: 'alice' },
    extraArgs: ['-au', 'alice', '-ap', 'alice-secret-1', '-mp', String(await freeMediaPort()), '-mi', '127.0.0.1'],
  });
  const recordings = join(dataDir, 'recordings');
  const listWavs = () => {
    try {
      return readdirSync(recordings).filter((f) => f.endsWith('.wav'));
    } catch {
      return [];
    }
  };
  const end = Date.now() + 40000;
  // recording for a while: the file has grown past its first flush (about a second)
  while (!listWavs().some((f) => readFileSync(join(recordings, f)).length > 8044)) {
    if (Date.now() > end) throw new Error(`no recording grew; stdout: ${p.stdout().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = (await (await fetch(`http://127.0.0.1:${http}/health`)).json()) as { calls: number };
  t.equal(before.calls, 1, 'one call up before the signal');

  const sent = Date.now();
  process.kill(p.child.pid!, 'SIGTERM');
  const [exit, aliceResult, bobResult] = await Promise.all([p.exited, alice, bob.wait()]);
  t.equal(
    aliceResult.code,
    0,
    `alice (caller) got BYE and answered it ${aliceResult.code ? aliceResult.errors.slice(0, 400) : ''}`,
  );
  t.equal(bobResult.code, 0, `bob (callee) got BYE and answered it ${bobResult.code ? bobResult.errors.slice(0, 400) : ''}`);
  t.equal(exit.code, 0, 'exit code 0');
  t.ok(exit.at - sent < 8000, `stopped within 8 s with a call up (${exit.at - sent} ms)`);
  const lines = p
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; calls?: number; callId?: string });
  t.match(
    lines.find((l) => l.msg === 'stopping'),
    { calls: 1 },
  );
  t.equal(lines.at(-1)?.msg, 'stopped', 'the last line says stopped');

  const wavs = listWavs();
  t.equal(wavs.length, 1, `one recording kept after the shutdown (${wavs.join(', ')})`);
  t.notOk(wavs[0]?.startsWith('echo-test-'), 'the recording of the call, not a *44 test file');
  const sizes = wavSizes(join(recordings, wavs[0]!));
  t.equal(sizes.data, sizes.dataBytes, `the data chunk counts every byte written (${sizes.dataBytes})`);
  t.equal(sizes.riff, sizes.fileBytes - 8, 'the RIFF size matches the file');
  t.ok(sizes.dataBytes >= 16000, `at least a second of audio kept (${sizes.dataBytes} bytes)`);
});
