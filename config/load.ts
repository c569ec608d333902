import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { configSchema, type Config } from './schema.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge where objects merge key by key and arrays/scalars from `over` replace `base`. */
export function mergeConfig(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(base[k]) ? mergeConfig(base[k] as Json, v) : v;
  }
  return out;
}

function defaultsPath(): string {
  // Compiled to dist/config; the JSON stays in the source tree's config/.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, 'default.json'), resolve(here, '../../config/default.json')]) {
    try { readFileSync(candidate); return candidate; } catch { /* try next */ }
  }
  throw new Error('config/default.json not found');
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got "${v}"`);
  return n;
};

/** Environment variables for the common settings; documented in the README. */
export function envOverrides(env: NodeJS.ProcessEnv): Json {
  const o: Json = {};
  const set = (path: string[], value: unknown) => {
    let cur = o;
    for (const p of path.slice(0, -1)) cur = (cur[p] ??= {}) as Json;
    cur[path[path.length - 1]!] = value;
  };
  if (env.LOG_LEVEL) set(['logLevel'], env.LOG_LEVEL);
  if (env.DATA_DIR) set(['dataDir'], env.DATA_DIR);
  if (env.DATABASE_URL) set(['database', 'url'], env.DATABASE_URL);
  if (env.HTTP_HOST) set(['http', 'host'], env.HTTP_HOST);
  if (env.HTTP_PORT) set(['http', 'port'], int(env.HTTP_PORT));
  if (env.SIP_LISTEN) set(['sip', 'listen'], env.SIP_LISTEN.split(',').map((s) => s.trim()).filter(Boolean));
  if (env.SIP_EXTERNAL_ADDRESS) set(['sip', 'externalAddress'], env.SIP_EXTERNAL_ADDRESS);
  if (env.DRACHTIO_HOST) {
    set(['sip', 'drachtio'], { host: env.DRACHTIO_HOST, port: int(env.DRACHTIO_PORT ?? '9022'), secret: env.DRACHTIO_SECRET ?? '' });
  }
  if (env.RTP_ADDRESS) set(['rtp', 'address'], env.RTP_ADDRESS);
  if (env.RTP_ADVERTISED_ADDRESS) set(['rtp', 'advertisedAddress'], env.RTP_ADVERTISED_ADDRESS);
  if (env.RTP_PORT_MIN) set(['rtp', 'portMin'], int(env.RTP_PORT_MIN));
  if (env.RTP_PORT_MAX) set(['rtp', 'portMax'], int(env.RTP_PORT_MAX));
  if (env.MEDIA_WORKERS) set(['media', 'workers'], int(env.MEDIA_WORKERS));
  if (env.RECORDING_ENABLED) set(['recording', 'enabled'], env.RECORDING_ENABLED === 'true' || env.RECORDING_ENABLED === '1');
  return o;
}

/**
 * config/default.json, then the JSON file named by SWITCHBOARD_CONFIG, then environment
 * variables, then `overrides` (tests), validated by the zod schema.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Json = {}): Config {
  let merged = JSON.parse(readFileSync(defaultsPath(), 'utf8')) as Json;
  if (env.SWITCHBOARD_CONFIG) {
    let file: Json;
    try {
      file = JSON.parse(readFileSync(env.SWITCHBOARD_CONFIG, 'utf8')) as Json;
    } catch (err) {
      throw new Error(`cannot read SWITCHBOARD_CONFIG ${env.SWITCHBOARD_CONFIG}: ${(err as Error).message}`);
    }
    merged = mergeConfig(merged, file);
  }
  merged = mergeConfig(merged, envOverrides(env));
  merged = mergeConfig(merged, overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${msg}`);
  }
  if (parsed.data.rtp.portMin >= parsed.data.rtp.portMax) throw new Error('invalid configuration: rtp.portMin must be below rtp.portMax');
  return parsed.data;
}
