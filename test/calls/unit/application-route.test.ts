/** Routing a DID that points at an application: run its flow, or refuse plainly when it cannot. */
import t from 'tap';
import { CallRouter, type AppEntry, type DidEntry, type RoutingDirectory } from '../../../src/calls/router.js';

function directory(apps: AppEntry[], withApps = true): RoutingDirectory {
  const did: DidEntry = {
    e164: '+15550400',
    trunk: 'carrier',
    projectId: 1,
    target: { kind: 'application', applicationId: 9 },
    forwardTo: null,
    relayEnabled: false,
  };
  return {
    findNumber: async (e164) => (e164 === did.e164 ? did : undefined),
    findAgent: async () => undefined,
    isAgent: async () => false,
    ...(withApps ? { findApplication: async (id: number) => apps.find((a) => a.id === id) } : {}),
  };
}
const app = (over: Partial<AppEntry> = {}): AppEntry => ({
  id: 9,
  projectId: 1,
  callbackUrl: 'https://203.0.114.10/flow',
  callbackMethod: 'POST',
  callbackFormat: 'form',
  fallbackUrl: null,
  statusCallbackUrl: 'https://203.0.114.10/status',
  ...over,
});

t.test('an application with a callback URL runs its flow with its callback configuration', async (t) => {
  const route = await new CallRouter({ directory: directory([app()]) }).route('15550400');
  t.same(route, {
    kind: 'application',
    number: '+15550400',
    projectId: 1,
    appId: 9,
    callback: {
      url: 'https://203.0.114.10/flow',
      method: 'POST',
      format: 'form',
      statusCallbackUrl: 'https://203.0.114.10/status',
    },
  });
});

t.test('without a callback URL, or with no flow engine, the DID answers 480', async (t) => {
  t.match(await new CallRouter({ directory: directory([app({ callbackUrl: null })]) }).route('+15550400'), {
    kind: 'refused',
    sipStatus: 480,
    sipReason: 'Application Not Available',
  });
  t.match(await new CallRouter({ directory: directory([], false) }).route('+15550400'), { kind: 'refused', sipStatus: 480 });
});

t.test('an application of another project, or a deleted one, is never run', async (t) => {
  t.match(await new CallRouter({ directory: directory([app({ projectId: 2 })]) }).route('+15550400'), {
    kind: 'refused',
    sipStatus: 404,
  });
  t.match(await new CallRouter({ directory: directory([]) }).route('+15550400'), { kind: 'refused', sipStatus: 404 });
});

t.test("a number's own callback configuration applies unless it inherits", async (t) => {
  const own = {
    inherit: false,
    callbackUrl: 'https://203.0.114.10/number.json',
    callbackMethod: 'GET' as const,
    callbackFormat: 'query' as const,
    fallbackUrl: 'https://203.0.114.10/number-fallback',
    statusCallbackUrl: null,
  };
  const withOwn = (cfg: typeof own | undefined, apps = [app()]): RoutingDirectory => {
    const d = directory(apps);
    return {
      ...d,
      findNumber: async (e164) => {
        const n = await d.findNumber(e164);
        return n && { ...n, id: 5 };
      },
      numberCallback: async (id) => (id === 5 ? cfg : undefined),
    };
  };
  t.match(await new CallRouter({ directory: withOwn(own) }).route('+15550400'), {
    kind: 'application',
    appId: 9,
    callback: {
      url: 'https://203.0.114.10/number.json',
      method: 'GET',
      format: 'query',
      fallbackUrl: 'https://203.0.114.10/number-fallback',
    },
  });
  t.match(await new CallRouter({ directory: withOwn({ ...own, inherit: true }) }).route('+15550400'), {
    kind: 'application',
    callback: { url: 'https://203.0.114.10/flow', method: 'POST', format: 'form' },
  });
  t.match(
    await new CallRouter({ directory: withOwn(own, [app({ callbackUrl: null })]) }).route('+15550400'),
    { kind: 'application', callback: { url: 'https://203.0.114.10/number.json' } },
    "the number's own URL serves an application that has none",
  );
  t.match(
    await new CallRouter({ directory: withOwn(own, [app({ projectId: 2 })]) }).route('+15550400'),
    { kind: 'refused', sipStatus: 404 },
    "another project's application is refused even with the number's own configuration",
  );
});
