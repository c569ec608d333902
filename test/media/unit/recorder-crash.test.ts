import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readWav } from '../../../media/wav.js';
import { toneAmplitude } from './spectrum.js';
import { spawnOwned } from '../../helpers/processes.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const recorderUrl = pathToFileURL(join(here, '../../../media/recorder.js')).href;
const portUrl = pathToFileURL(join(here, 'fake-port.js')).href;

t.test('a recording survives SIGKILL of the process, losing at most about a second', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'crash.wav');
  // The child records a 700 Hz tone from a port and reports each 20 ms it has fed.
  const script = `
    const { Recorder } = await import(${JSON.stringify(recorderUrl)});
    const { FakePort } = await import(${JSON.stringify(portUrl)});
    const port = new FakePort('caller', 8000);
    new Recorder(${JSON.stringify(path)}, [port], { sampleRate: 8000 });
    let n = 0;
    setInterval(() => {
      const f = new Int16Array(160);
      for (let i = 0; i < 160; i++) f[i] = Math.round(8000 * Math.sin(2 * Math.PI * 700 * (n * 160 + i) / 8000));
      port.hear(f);
      n++;
      if (n % 25 === 0) process.stdout.write('fed ' + n + '\\n');
    }, 20);
  `;
  // own process group, killed with this test whatever ends it; without tap's loaders
  const proc = spawnOwned(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '' } });
  const child = proc.child;
  child.stderr!.pipe(process.stderr);
  t.teardown(() => proc.kill());
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (/fed (1[2-9]\d|[2-9]\d\d)/.test(d.toString())) resolve();
    });
    child.once('exit', () => reject(new Error('child exited early')));
  });
  await proc.kill();

  const file = readFileSync(path);
  const dataBytes = file.readUInt32LE(40);
  t.equal(file.readUInt32LE(4), 36 + dataBytes, 'RIFF size consistent');
  t.ok(file.length >= 44 + dataBytes, 'data size does not claim more than is on disk');
  t.ok(dataBytes >= 16000, `at least the first second survived (${dataBytes / 16} ms)`);
  const wav = readWav(path);
  t.ok(toneAmplitude(wav.samples[0].subarray(400), 8000, 700) > 5000, 'and it holds the tone');
});
