/**
 * Builds the media addon (UDP send, batched receive, SRTP) with the node-gyp that npm bundles, against the Node
 * headers already on this machine (nothing is downloaded). Runs from `npm run build`, which `npm ci`
 * runs through `prepare`. Never fails the build: without the addon the media workers send through
 * dgram (slower, same behaviour). SWITCHBOARD_NATIVE_REQUIRED=1 makes a failed build an error (CI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sources = ['addon.c', 'addon.h', 'udp-send.c', 'udp-recv.c', 'srtp.c'].map((f) => join(here, f));
const gypFile = join(here, 'binding.gyp');
const output = join(here, 'build', 'Release', 'media.node');
const required = process.env.SWITCHBOARD_NATIVE_REQUIRED === '1';

function giveUp(why) {
  const msg = `media addon not built (${why}); media workers will send and receive through dgram`;
  if (required) {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

if (process.platform !== 'linux') giveUp('sendmmsg is Linux only');

const mtime = (f) => statSync(f).mtimeMs;
if (existsSync(output) && mtime(output) >= Math.max(...sources.map(mtime), mtime(gypFile))) process.exit(0);

// The directory holding include/node/node_api.h: beside this node binary, or the distribution's.
const prefixes = [dirname(dirname(process.execPath)), '/usr', '/usr/local'];
const nodedir = prefixes.find((p) => existsSync(join(p, 'include', 'node', 'node_api.h')));
if (!nodedir) giveUp('no Node headers (include/node/node_api.h) found');

// npm hands its bundled node-gyp to scripts in npm_config_node_gyp; outside npm, the one npm
// ships beside this node, then PATH.
const npmDir = join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm');
const bundled = join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (existsSync(bundled) ? bundled : undefined);
const [cmd, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
const res = spawnSync(cmd, [...args, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=warn'], {
  cwd: here,
  stdio: 'inherit',
});
if (res.error) giveUp(`node-gyp did not start: ${res.error.message}`);
if (res.status !== 0) giveUp(`node-gyp exited with ${res.status}`);
if (!existsSync(output)) giveUp('node-gyp left no media.node');
console.log(`media addon built: ${output}`);
