/**
 * SIGTERM with a call up: the caller gets BYE, the recording in progress is finished (its WAV
 * header counts every byte written), and the process still exits 0 with "stopped" last.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runSipp } from '../helpers/sipp.js';
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

t.test('SIGTERM during a call: BYE to the caller, the recording finished, exit 0', async (t) => {
  const dir = tempDir(t);
  const http = await freeTcpPort();
  const sip = await freePort();
  const config = {
    logLevel: 'info',
    http: { host: '127.0.0.1', port: http, healthDetails: true },
    sip: { listen: [`udp:127.0.0.1:${sip}`] },
    registrar: { users: [{ username: 'alice', password: 'alice-secret-1' }] },
    rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', ...rtpRange() },
    media: { workers: 1 },
  };
  const dataDir = join(dir, 'data');
  const p = spawnPlatform(t, { SWITCHBOARD_CONFIG: writeConfig(dir, config), DATA_DIR: dataDir });
  await p.line(/Switchboard is up/);

  // *44 answers, beeps, then records the caller until '#', which this phone never sends
  const sipp = runSipp(t, {
    scenario: join(scenarios, 'uac-call-await-bye.xml'), remote: `127.0.0.1:${sip}`, service: '*44', timeoutMs: 60000,
    keys: { caller: 'alice' },
    extraArgs: ['-au', 'alice', '-ap', 'alice-secret-1', '-mp', String(await freePort()), '-mi', '127.0.0.1'],
  });
  const recordings = join(dataDir, 'recordings');
  const end = Date.now() + 40000;
  // recording for a while: the file has grown past its first flush (about a second)
  while (!(readdirSync(recordings).some((f) => f.endsWith('.wav') && readFileSync(join(recordings, f)).length > 8044))) {
    if (Date.now() > end) throw new Error(`no recording grew; stdout: ${p.stdout().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = await (await fetch(`http://127.0.0.1:${http}/health`)).json() as { calls: number };
  t.equal(before.calls, 1, 'one call up before the signal');

  const sent = Date.now();
  process.kill(p.child.pid!, 'SIGTERM');
  const [exit, result] = await Promise.all([p.exited, sipp]);
  t.equal(result.code, 0, `the phone got BYE and answered it ${result.code ? result.errors.slice(0, 400) : ''}`);
  t.equal(exit.code, 0, 'exit code 0');
  t.ok(exit.at - sent < 8000, `stopped within 8 s with a call up (${exit.at - sent} ms)`);
  const lines = p.stdout().trim().split('\n').map((l) => JSON.parse(l) as { msg: string; calls?: number });
  t.match(lines.find((l) => l.msg === 'stopping'), { calls: 1 });
  t.equal(lines.at(-1)?.msg, 'stopped', 'the last line says stopped');

  const [wav] = readdirSync(recordings).filter((f) => f.endsWith('.wav'));
  const sizes = wavSizes(join(recordings, wav!));
  t.equal(sizes.data, sizes.dataBytes, `the data chunk counts every byte written (${sizes.dataBytes})`);
  t.equal(sizes.riff, sizes.fileBytes - 8, 'the RIFF size matches the file');
  t.ok(sizes.dataBytes >= 16000, `at least a second of audio kept (${sizes.dataBytes} bytes)`);
});
