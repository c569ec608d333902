/** The widgets repository on both dialects: defaults, updates, lookup by public id, key regeneration. */
import t from 'tap';
import { forEachDialect } from '../helpers/stores.js';

t.setTimeout(120000);

forEachDialect(t, 'widgets', async (t, { open }) => {
  const s = await open();
  const a = await s.projects.create('alpha');
  const b = await s.projects.create('beta');
  t.equal(await s.widgets.forProject(a.id), undefined, 'no widget until one is made');

  const w = await s.widgets.create(a.id);
  t.match(w.publicId, /^wgt_[A-Za-z0-9_-]{16}$/);
  t.match(w.secret, /^wsec_[A-Za-z0-9_-]{43}$/);
  t.match(w, {
    projectId: a.id,
    greeting: 'Hi! How can I help you today?',
    primaryColor: '#6366F1',
    position: 'bottom-right',
    allowedDomains: [],
    modes: ['voice'],
    consentRequired: false,
    target: null,
  });
  t.equal((await s.widgets.forProject(a.id))?.id, w.id);
  t.equal(await s.widgets.forProject(b.id), undefined, 'another project does not see it');

  const app = await s.applications.create({ projectId: a.id, name: 'bot', callbackUrl: 'http://127.0.0.1:9/flow' });
  const u = await s.widgets.update(w.id, {
    greeting: 'Hello',
    allowedDomains: ['Example.com', 'app.example.com'],
    modes: ['voice', 'chat'],
    consentRequired: true,
    consentText: 'This call may be recorded.',
    target: { kind: 'application', applicationId: app.id },
  });
  t.match(u, {
    greeting: 'Hello',
    primaryColor: '#6366F1',
    allowedDomains: ['example.com', 'app.example.com'],
    modes: ['voice', 'chat'],
    consentRequired: true,
    consentText: 'This call may be recorded.',
    target: { kind: 'application', applicationId: app.id },
  });
  t.same((await s.widgets.update(w.id, { target: { kind: 'number', number: '+15550001111' } }))?.target, {
    kind: 'number',
    number: '+15550001111',
  });
  t.equal((await s.widgets.findByPublicId(w.publicId))?.id, w.id);

  const r = await s.widgets.regenerateKey(w.id);
  t.not(r?.publicId, w.publicId, 'a new public id');
  t.not(r?.secret, w.secret, 'and a new secret');
  t.equal(await s.widgets.findByPublicId(w.publicId), undefined, 'the old id finds nothing');
  t.equal((await s.widgets.findByPublicId(r?.publicId ?? ''))?.greeting, 'Hello', 'the settings are kept');

  await s.widgets.update(w.id, { target: { kind: 'application', applicationId: app.id } });
  await s.applications.delete(app.id);
  t.equal((await s.widgets.get(w.id))?.target, null, 'deleting the application leaves the widget without a target');
});
