/**
 * Where Netloom is installed, for files read at run time (examples/, dist/client/, package.json, the netlink
 * agent and addon). The same answer from the sources (server/, run by tsx or vitest) and from the compiled
 * bundle (dist/server/netloom.mjs): the nearest folder up holding Netloom's package.json. The only server
 * module that may look at its own location (scripts/build-server.mjs refuses the others).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from, up = 0; up < 4; up++, dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'netloom')
        return dir;
    } catch {}
  }
  throw new Error(`cannot find Netloom's package.json above ${from}`);
}

export const REPO_ROOT = findRoot(import.meta.dirname);

/** True in the compiled bundle (dist/server/netloom.mjs), false when run from the TypeScript sources. */
export const COMPILED = !import.meta.filename.endsWith('.ts');
