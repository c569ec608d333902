/**
 * Loads the media addon (media/native: UDP send, batched UDP receive) once per thread, or gives
 * undefined where it was not built (not Linux, no compiler when installed); callers then fall back
 * to dgram. Each part has its own typed view (udp-native.ts) and its own switch.
 */
import { createRequire } from 'node:module';

// dist/media/native (compiled) and media/native (source) both reach media/native/build.
const CANDIDATES = ['../../../media/native/build/Release/media.node', './build/Release/media.node'];

function load(): Record<string, unknown> | undefined {
  if (process.platform !== 'linux') return undefined;
  const require = createRequire(import.meta.url);
  for (const path of CANDIDATES) {
    try {
      return require(path) as Record<string, unknown>;
    } catch {
      // not built here; try the next place
    }
  }
  return undefined;
}

export const mediaAddon: Record<string, unknown> | undefined = load();
