/**
 * `/api/docs`: a self-contained page (no CDN, no external script) that reads `/api/openapi.json`
 * and lists every operation with its parameters, body and responses.
 */
import { createHash } from 'node:crypto';

const SCRIPT = `
(async () => {
  const doc = await (await fetch('openapi.json')).json();
  const root = document.getElementById('ops');
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; };
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const d = el('details', '', 'op');
      const s = el('summary');
      s.append(el('span', method.toUpperCase(), 'm ' + method), el('code', path), el('span', ' ' + (op.summary || '')));
      d.append(s);
      if (op.security && op.security.length) d.append(el('p', 'Auth: ' + op.security.map((x) => Object.keys(x)[0]).join(', ')));
      if (op.parameters && op.parameters.length) {
        d.append(el('h4', 'Parameters'));
        const ul = el('ul');
        for (const p of op.parameters) ul.append(el('li', p.name + ' (' + p.in + (p.required ? ', required' : '') + '): ' + JSON.stringify(p.schema)));
        d.append(ul);
      }
      if (op.requestBody) { d.append(el('h4', 'Body')); d.append(el('pre', JSON.stringify(op.requestBody.content['application/json'].schema, null, 2))); }
      d.append(el('h4', 'Responses'));
      for (const [code, r] of Object.entries(op.responses)) {
        d.append(el('p', code + ' ' + r.description));
        const c = r.content && r.content['application/json'];
        if (c && c.schema) d.append(el('pre', JSON.stringify(c.schema, null, 2)));
      }
      root.append(d);
    }
  }
})().catch((e) => { document.getElementById('ops').textContent = 'Cannot load openapi.json: ' + e; });
`;

export const DOCS_CSP = `default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard API</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}
.op{border:1px solid #ccc;border-radius:4px;margin:.4em 0;padding:.4em .8em}
summary{cursor:pointer}.m{display:inline-block;width:4.5em;font-weight:bold}
.get{color:#06c}.post{color:#080}.patch,.put{color:#a60}.delete{color:#c00}
pre{background:#f6f6f6;padding:.5em;overflow:auto}code{margin-right:.6em}
</style></head><body>
<h1 id="title">Switchboard API</h1>
<p>The machine-readable document: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
<div id="ops"></div>
<script>${SCRIPT}</script>
</body></html>`;
