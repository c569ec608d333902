/**
 * Inbound SMS: a sipp "carrier" sends SIP MESSAGE (RFC 3428) to a relay-enabled number; the
 * platform answers 200 and `sms.received` reaches the project's webhook with from/to/body.
 * Unowned numbers are 404, non-text bodies 415, MESSAGE from outside the trunks 403.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestPlatform } from '../helpers/platform.js';
import { freePort, runSipp } from '../helpers/sipp.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { verifySignature } from '../../src/events/signature.js';

const CARRIER = '127.0.0.2';
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/events/scenarios');

t.test('SIP MESSAGE to a relay number fires sms.received', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-sms-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tp = await startTestPlatform(t, {
    config: {
      trunks: [
        {
          name: 'carrier',
          host: CARRIER,
          port: await freePort(CARRIER),
          transport: 'udp',
          numbers: [
            { number: '+33159133354', country: 'FR' },
            { number: '+33159133355', country: 'FR' },
          ],
        },
      ],
      webhooks: { allowPrivateTargets: true },
    },
  });
  const store = tp.platform.store;
  const receiver = await WebhookReceiver.start(t);
  const project = await store.projects.create('acme');
  const hook = await store.webhooks.create(project.id, { url: receiver.url, events: ['sms.received'] });
  await store.numbers.assign(project.id, '+33159133354', { kind: 'forward', forwardTo: '+33612345678' });

  const send = async (opts: { to: string; status: number; type?: string; text?: string; from?: string }) => {
    const scenario = join(dir, `message-${opts.status}-${Math.random()}.xml`);
    writeFileSync(
      scenario,
      readFileSync(join(scenarios, 'message.xml'), 'utf8')
        .replaceAll('__STATUS__', String(opts.status))
        .replaceAll('__TYPE__', opts.type ?? 'text/plain;charset=UTF-8')
        .replaceAll('__TEXT__', opts.text ?? 'Hello!'),
    );
    const host = opts.from ?? CARRIER;
    return runSipp(t, {
      scenario,
      localHost: host,
      remote: `${tp.sip.host}:${tp.sip.port}`,
      service: opts.to,
      timeoutMs: 10000,
      keys: { caller: '+33783484044' },
      extraArgs: ['-mp', String(await freePort(host)), '-mi', host],
    });
  };

  const ok = await send({ to: '+33159133354', status: 200, text: 'Hello! Rendez-vous à 10h' });
  t.equal(ok.code, 0, `the carrier got 200 ${ok.code ? ok.errors.slice(0, 300) : ''}`);
  const [d] = await receiver.until((x) => x.length >= 1);
  t.match(d!.envelope, { type: 'sms.received', id: /^evt_/ });
  t.same(d!.envelope.data, {
    direction: 'inbound',
    from: '+33783484044',
    to: '+33159133354',
    relay_number: '+33159133354',
    body: 'Hello! Rendez-vous à 10h',
  });
  t.ok(verifySignature(hook.secret, d!.body, d!.headers['switchboard-signature'] as string, 300), 'signed');

  t.equal((await send({ to: '+33159133355', status: 404 })).code, 0, 'a number nobody owns: 404');
  t.equal((await send({ to: '33100000000', status: 404 })).code, 0, 'a number not in the inventory: 404');
  t.equal((await send({ to: '+33159133354', status: 415, type: 'application/json', text: '{}' })).code, 0, 'not text/plain: 415');
  t.equal((await send({ to: '+33159133354', status: 403, from: '127.0.0.1' })).code, 0, 'not from a trunk: 403');
  await store.numbers.setRelay((await store.numbers.findByE164('+33159133354'))!.id, { relayEnabled: false });
  t.equal((await send({ to: '+33159133354', status: 404 })).code, 0, 'relay paused: 404');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(receiver.deliveries.length, 1, 'refused messages fire nothing');
});
