/**
 * Toll fraud through the web widget: a visitor's credential routes to its widget's target and
 * nowhere else (no trunk, no other number, no test numbers), and carries one call.
 */
import t, { type Test } from 'tap';
import { CallRouter, type DidEntry, type RoutingDirectory } from '../../../src/calls/router.js';
import { VisitorCredentials } from '../../../src/widgets/visitor-credentials.js';

const dids: DidEntry[] = [
  {
    e164: '+15550400',
    trunk: 'carrier',
    projectId: 1,
    target: { kind: 'application', applicationId: 9 },
    forwardTo: null,
    relayEnabled: false,
  },
  {
    e164: '+15550500',
    trunk: 'carrier',
    projectId: 1,
    target: { kind: 'forward', forwardTo: '+33612345678' },
    forwardTo: '+33612345678',
    relayEnabled: true,
  },
  {
    e164: '+15550600',
    trunk: 'carrier',
    projectId: 2,
    target: { kind: 'application', applicationId: 10 },
    forwardTo: null,
    relayEnabled: false,
  },
];
const directory: RoutingDirectory = {
  findNumber: async (e164) => dids.find((d) => d.e164 === e164),
  findAgent: async () => undefined,
  isAgent: async () => false,
  findApplication: async (id) =>
    [9, 10].includes(id)
      ? {
          id,
          projectId: id === 9 ? 1 : 2,
          callbackUrl: 'https://203.0.114.10/flow',
          callbackMethod: 'POST',
          callbackFormat: 'json',
          fallbackUrl: null,
          statusCallbackUrl: null,
        }
      : undefined,
};

function rig(t: Test) {
  const visitors = new VisitorCredentials({ ttlMs: 60_000 });
  t.teardown(() => visitors.close());
  const router = new CallRouter({ directory, visitors, defaultTrunk: 'carrier' });
  return { visitors, router };
}

t.test("a visitor reaches its widget's application, once", async (t) => {
  const { visitors, router } = rig(t);
  const pass = visitors.mint({
    projectId: 1,
    widgetId: 'wgt_a',
    target: { kind: 'application', applicationId: 9 },
    displayName: 'V',
  });
  t.match(await router.route({ requestUser: 'wgt_a', caller: pass.username }), {
    kind: 'application',
    number: 'wgt_a',
    projectId: 1,
    appId: 9,
  });
  t.match(
    await router.route({ requestUser: 'wgt_a', caller: pass.username }),
    { kind: 'refused', sipStatus: 403 },
    'a second call is refused',
  );
});

t.test('a visitor may not dial anything else: trunk numbers, DIDs, test numbers', async (t) => {
  const { visitors, router } = rig(t);
  for (const dialed of ['+442071234567', '15550400', '*43', 'alice']) {
    const pass = visitors.mint({
      projectId: 1,
      widgetId: 'wgt_a',
      target: { kind: 'application', applicationId: 9 },
      displayName: 'V',
    });
    t.match(await router.route({ requestUser: dialed, caller: pass.username }), { kind: 'refused', sipStatus: 403 }, dialed);
  }
  t.match(await router.route({ requestUser: '+442071234567', caller: 'alice' }), { kind: 'trunk' }, 'an ordinary user still can');
});

t.test("a widget's number routes only to what answers here, in its own project", async (t) => {
  const { visitors, router } = rig(t);
  const call = async (number: string, projectId = 1) => {
    const pass = visitors.mint({ projectId, widgetId: 'wgt_n', target: { kind: 'number', number }, displayName: 'V' });
    return router.route({ requestUser: 'wgt_n', caller: pass.username });
  };
  t.match(await call('+15550400'), { kind: 'application', appId: 9, number: '+15550400' });
  t.match(await call('+15550500'), { kind: 'refused', sipStatus: 403 }, 'a relay number would go out through the trunk');
  t.match(await call('+15550600'), { kind: 'refused', sipStatus: 404 }, "another project's number");
  t.match(await call('+15550400', 2), { kind: 'refused', sipStatus: 404 });
});

t.test('an expired credential is no visitor and no user', async (t) => {
  let now = 1000;
  const visitors = new VisitorCredentials({ ttlMs: 5000, now: () => now });
  t.teardown(() => visitors.close());
  const pass = visitors.mint({
    projectId: 1,
    widgetId: 'wgt_a',
    target: { kind: 'application', applicationId: 9 },
    displayName: 'V',
  });
  t.ok(visitors.get(pass.username));
  now += 5000;
  t.equal(visitors.get(pass.username), undefined, 'its password no longer authenticates');
  t.equal(visitors.claim(pass.username), undefined);
});
