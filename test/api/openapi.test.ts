/** Every route Express serves is in /api/openapi.json (OpenAPI 3.1), and /api/docs renders it without outside scripts. */
import t from 'tap';
import { startTestApi } from '../helpers/api.js';
import { openApiPath } from '../../api/openapi.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Walks Express 5's router stack (routers are mounted at the root, so route paths are full). */
function mountedRoutes(stack: Layer[]): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') out.push(`${m} ${layer.route.path}`);
    } else if (layer.handle?.stack) {
      out.push(...mountedRoutes(layer.handle.stack));
    }
  }
  return out;
}

t.test('the document lists every mounted route', async (t) => {
  const api = await startTestApi(t);
  const res = await api.fetchJson('/api/openapi.json');
  t.equal(res.status, 200);
  const doc = res.body as {
    openapi: string;
    paths: Record<
      string,
      Record<string, { responses: Record<string, unknown>; requestBody?: unknown; parameters: { name: string; in: string }[] }>
    >;
  };
  t.equal(doc.openapi, '3.1.0');
  const mounted = mountedRoutes((api.app as unknown as { router: { stack: Layer[] } }).router.stack);
  t.ok(mounted.length >= 7, `${mounted.length} routes mounted`);
  for (const r of mounted) {
    const [method, path] = r.split(' ') as [string, string];
    t.ok(doc.paths[openApiPath(path)]?.[method], `${method.toUpperCase()} ${path} is documented`);
  }
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
  t.equal(documented.length, mounted.length, 'and nothing else is');

  const signup = doc.paths['/api/signup']!.post!;
  t.match(
    signup.requestBody,
    { content: { 'application/json': { schema: { type: 'object', required: ['email', 'password'] } } } },
    'request bodies come from the zod schemas',
  );
  t.ok(signup.responses['201'] && signup.responses['422'] && signup.responses['429']);
  const one = doc.paths['/api/v1/relay_numbers/{id}']!.get!;
  t.match(one.parameters, [{ name: 'id', in: 'path' }]);
  t.ok(one.responses['403'] && one.responses['404'] && one.responses['401']);
});

t.test('/api/docs is a self-contained page', async (t) => {
  const api = await startTestApi(t);
  const res = await fetch(`${api.base}/api/docs`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /text\/html/);
  const html = await res.text();
  t.notMatch(html, /<script[^>]+src=/i, 'no external script');
  t.notMatch(html, /https?:\/\/(?!json-schema)/i, 'no outside URL');
  t.match(html, /openapi\.json/);
  t.match(res.headers.get('content-security-policy'), /script-src 'sha256-/, 'only the inline script may run');
});
