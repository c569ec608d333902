/**
 * End to end with a real SIP phone: a baresip phone (playing silence) dials `*43`; once the call is
 * answered a flow runs on its caller leg beside the echo, and the phone hears the SAY's speech.
 * Routing numbers to flows is the integrator's part: the test starts the runner itself.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import type { Call } from '../../src/calls/call.js';
import { CallFlowPort } from '../../src/flows/call-port.js';
import { FlowEngine, initialRequest } from '../../src/flows/flow-engine.js';
import { FliteProvider } from '../../src/speech/flite-provider.js';
import { startTestPlatform } from '../helpers/platform.js';
import { dialAndWait, heard, levelTrack, registeredPhone, settled, tempDir } from '../calls/phones.js';
import { CallbackServer, silentLogger } from './flow-fakes.js';

t.setTimeout(180000);

t.test('a phone calls in and hears the flow speak', async (t) => {
  const dir = tempDir(t, 'flow-phone-');
  const silence = join(dir, 'silence.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', silence, 'trim', '0', '30']);
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  server.json('/hello.json', {
    actions: [
      { type: 'SAY', params: { text: 'Hello, world. Welcome to Switchboard call flows.' } },
      { type: 'PAUSE', params: { length: 5000 } },
    ],
  });
  const tts = new FliteProvider({ workers: 1, logger: silentLogger });
  t.teardown(() => tts.close());
  const engine = new FlowEngine({ tts, dataDir: dir, logger: silentLogger, allowPrivateTargets: true });

  const tp = await startTestPlatform(t, { users: ['alice'] });
  const alice = await registeredPhone(t, tp, 'alice', { codecs: ['PCMU'], wav: silence });
  let flow: Promise<void> | undefined;
  tp.platform.calls.on('added', (call: Call) => {
    call.once('answered', () => {
      const leg = call.legs.find((l) => l.role === 'caller');
      if (!leg) return;
      const port = new CallFlowPort(call, leg, dir);
      const request = initialRequest(call, { appId: 'e2e', callback: { url: '', method: 'GET', format: 'query' } });
      flow = engine.runner(port, { url: server.url('/hello.json'), method: 'GET', format: 'query' }, request).run();
    });
  });
  await dialAndWait(alice, tp, '*43');
  await server.waitFor('init_call', 10000);
  // The prompt is about 3 s; the phone records what it decodes.
  await settled(() => levelTrack(heard(alice), 100).filter((l) => l > 500).length >= 10, 20000).catch(() => undefined);
  const loud = levelTrack(heard(alice), 100).filter((l) => l > 500).length;
  t.ok(loud >= 10, `the phone heard speech for about ${loud / 10} s`);
  await alice.hangup();
  await settled(() => server.received.some((r) => r.fields.type === 'call_ended'), 15000).catch(() => undefined);
  await flow;
  t.ok(
    server.received.some((r) => r.fields.type === 'call_ended'),
    'the final callback arrived after the phone hung up',
  );
});
