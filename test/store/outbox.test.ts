/**
 * The transactional outbox on both dialects: a call's status change writes its event and one
 * delivery per matching active webhook in the same transaction; one call's deliveries to an
 * endpoint come out in order; results move deliveries on; a rolled-back change leaves no event.
 */
import t from 'tap';
import { forEachDialect } from '../helpers/stores.js';
import type { StoredEvent } from '../../src/store/index.js';

forEachDialect(t, 'status changes enqueue their events atomically', async (t, target) => {
  const store = await target.open();
  const p = await store.projects.create('acme');
  const other = await store.projects.create('other');
  const all = await store.webhooks.create(p.id, { url: 'https://example.com/all' });
  const completedOnly = await store.webhooks.create(p.id, { url: 'https://example.com/c', events: ['phone_call.completed'] });
  const paused = await store.webhooks.create(p.id, { url: 'https://example.com/p' });
  await store.webhooks.update(paused.id, { active: false });
  await store.webhooks.create(other.id, { url: 'https://example.com/o' });
  const announced: StoredEvent[] = [];
  store.outbox.on('committed', (e) => announced.push(...e));

  const call = await store.calls.insert({ projectId: p.id, direction: 'inbound', from: '+1415', to: '+1416' });
  await store.calls.updateStatus(call.id, { status: 'ringing' });
  await store.calls.updateStatus(call.id, { status: 'in-progress' });
  await store.calls.updateStatus(call.id, { status: 'in-progress' });
  await store.calls.updateStatus(call.id, { status: 'completed' });
  await store.calls.setRecording(call.id, '/tmp/x.wav');
  await store.calls.setRecording(call.id, '/tmp/x.wav');
  t.same(
    announced.map((e) => [e.envelope.type, e.deliveries]),
    [
      ['phone_call.started', 1],
      ['phone_call.completed', 2],
      ['phone_call.completed', 2],
    ],
    'started, completed, completed again with the recording; repeated statuses and paths fire nothing; filters and pauses respected',
  );
  t.equal(announced[2]!.envelope.data.recording_url, `/recordings/${call.id}.wav`);
  t.same(await store.outbox.counts(), { pending: 5, delivered: 0, failed: 0 });
  t.same(
    (await store.outbox.events(p.id)).map((e) => e.id),
    announced.map((e) => e.envelope.id),
    'the durable record matches what the bus heard',
  );

  // Only the head of each (webhook, call) line is due.
  const due = await store.outbox.due(new Date(Date.now() + 1000).toISOString(), 100);
  t.same(
    due.map((d) => [d.webhookId, d.type]),
    [
      [all.id, 'phone_call.started'],
      [completedOnly.id, 'phone_call.completed'],
    ],
  );
  await store.outbox.recordAttempts([
    { delivery: due[0]!, result: { statusCode: 200, durationMs: 3, error: null }, outcome: { delivered: true } },
    {
      delivery: due[1]!,
      result: { statusCode: 500, durationMs: 4, error: 'HTTP 500' },
      outcome: { delivered: false, retryAt: new Date(Date.now() + 60000).toISOString() },
    },
  ]);
  const next = await store.outbox.due(new Date(Date.now() + 1000).toISOString(), 100);
  t.same(
    next.map((d) => [d.webhookId, d.type]),
    [[all.id, 'phone_call.completed']],
    'the retrying line waits; the delivered one moves on',
  );
  t.ok(Date.parse((await store.outbox.nextDueAt())!) <= Date.now() + 1000);
  t.match(await store.webhooks.attempts(completedOnly.id), [{ attempt: 1, statusCode: 500, error: 'HTTP 500', durationMs: 4 }]);

  // A transition that fails inside its transaction leaves no event behind.
  const before = (await store.outbox.events(p.id)).length;
  const broken = await store.calls.insert({ projectId: p.id, direction: 'outbound' });
  await t.rejects(
    store.calls.updateStatus(broken.id, { status: 'busy', detail: { bad: 1n } as unknown as Record<string, unknown> }),
  );
  t.equal((await store.outbox.events(p.id)).length, before, 'rolled back with the change');
  t.equal((await store.calls.get(broken.id))!.status, 'queued');

  await store.webhooks.delete(all.id);
  t.same(await store.outbox.counts(), { pending: 2, delivered: 0, failed: 0 }, 'deleting a webhook drops its deliveries');
});
