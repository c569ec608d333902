import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { configSchema, type Config } from './schema.js';
import { ConfigError } from './errors.js';
import { findUnknownKeys } from './unknown-keys.js';

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
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      /* try next */
    }
  }
  throw new ConfigError('config/default.json not found');
}

/** Each environment variable: the setting it fills and how its text becomes a value. */
type EnvParse = (name: string, text: string) => unknown;

const text: EnvParse = (_name, v) => v;
const integer: EnvParse = (name, v) => {
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isInteger(n)) throw new ConfigError(`${name}: expected an integer, got "${v}"`);
  return n;
};
const boolean: EnvParse = (name, v) => {
  const b = ({ true: true, '1': true, false: false, '0': false } as Record<string, boolean>)[v.trim().toLowerCase()];
  if (b === undefined) throw new ConfigError(`${name}: expected true, false, 1 or 0, got "${v}"`);
  return b;
};
const list: EnvParse = (_name, v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const ENV: [name: string, path: string[], parse: EnvParse][] = [
  ['LOG_LEVEL', ['logLevel'], text],
  ['DATA_DIR', ['dataDir'], text],
  ['DATABASE_URL', ['database', 'url'], text],
  ['HTTP_HOST', ['http', 'host'], text],
  ['HTTP_PORT', ['http', 'port'], integer],
  ['SIP_LISTEN', ['sip', 'listen'], list],
  ['SIP_EXTERNAL_ADDRESS', ['sip', 'externalAddress'], text],
  ['RTP_ADDRESS', ['rtp', 'address'], text],
  ['RTP_ADVERTISED_ADDRESS', ['rtp', 'advertisedAddress'], text],
  ['RTP_PORT_MIN', ['rtp', 'portMin'], integer],
  ['RTP_PORT_MAX', ['rtp', 'portMax'], integer],
  ['MEDIA_WORKERS', ['media', 'workers'], integer],
  ['RECORDING_ENABLED', ['recording', 'enabled'], boolean],
];

/** Environment variables for the common settings (documented in the README), and which setting each filled. */
export function envSettings(env: NodeJS.ProcessEnv): { values: Json; sources: Map<string, string> } {
  const values: Json = {};
  const sources = new Map<string, string>();
  const set = (path: string[], value: unknown, name: string) => {
    let cur = values;
    for (const p of path.slice(0, -1)) cur = (cur[p] ??= {}) as Json;
    cur[path[path.length - 1]!] = value;
    sources.set(path.join('.'), name);
  };
  for (const [name, path, parse] of ENV) {
    const v = env[name];
    if (v) set(path, parse(name, v), name);
  }
  if (env.DRACHTIO_HOST) {
    set(['sip', 'drachtio', 'host'], env.DRACHTIO_HOST, 'DRACHTIO_HOST');
    set(['sip', 'drachtio', 'port'], integer('DRACHTIO_PORT', env.DRACHTIO_PORT ?? '9022'), 'DRACHTIO_PORT');
    set(['sip', 'drachtio', 'secret'], env.DRACHTIO_SECRET ?? '', 'DRACHTIO_SECRET');
  }
  return { values, sources };
}

export function envOverrides(env: NodeJS.ProcessEnv): Json {
  return envSettings(env).values;
}

function readConfigFile(path: string): Json {
  let file: unknown;
  try {
    file = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(`cannot read SWITCHBOARD_CONFIG ${path}: ${e.code ?? e.message}`);
  }
  if (!isObject(file)) throw new ConfigError(`SWITCHBOARD_CONFIG ${path}: expected a JSON object`);
  return file;
}

/**
 * config/default.json, then the JSON file named by SWITCHBOARD_CONFIG, then environment
 * variables, then `overrides` (tests), validated by the zod schema. Throws a ConfigError whose
 * message names the setting (and the variable it came from).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Json = {}): Config {
  let merged = JSON.parse(readFileSync(defaultsPath(), 'utf8')) as Json;
  if (env.SWITCHBOARD_CONFIG) merged = mergeConfig(merged, readConfigFile(env.SWITCHBOARD_CONFIG));
  const fromEnv = envSettings(env);
  merged = mergeConfig(merged, fromEnv.values);
  merged = mergeConfig(merged, overrides);
  const unknown = findUnknownKeys(configSchema, merged);
  if (unknown.length > 0) {
    const msg = unknown.map((u) => `unknown key "${u.path}"${u.nearest ? ` (did you mean "${u.nearest}"?)` : ''}`).join('; ');
    throw new ConfigError(`invalid configuration: ${msg}`);
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const msg = parsed.error.issues
      .map((i) => {
        const path = i.path.join('.');
        const from = fromEnv.sources.get(path);
        return `${path}: ${i.message}${from ? ` (from ${from})` : ''}`;
      })
      .join('; ');
    throw new ConfigError(`invalid configuration: ${msg}`);
  }
  if (parsed.data.rtp.portMin >= parsed.data.rtp.portMax)
    throw new ConfigError('invalid configuration: rtp.portMin must be below rtp.portMax');
  return parsed.data;
}
