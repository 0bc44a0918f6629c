/**
 * The boundaries the typecheck gate (`tsc -b`, tsconfig.json's project references) enforces, proven by probes
 * that cross them: each probe is a one-file project extending the real shared/, client/ or server/ config, so
 * it is type-checked under exactly the rules the code there is. A probe that crosses must fail with the right
 * error; a control probe that stays inside must pass (so the failures are not a broken set-up).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
// Inside the repository (not /tmp): type libraries (vite/client, @types/node) resolve from its node_modules.
mkdirSync(join(ROOT, 'reports'), { recursive: true });
const DIR = mkdtempSync(join(ROOT, 'reports', 'boundary-probe-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

interface Probe {
  name: string;
  project: 'shared' | 'client' | 'server';
  source: string;
}

/** Type-checks every probe in one `tsc -b` (a solution of one-file projects); the errors per probe. */
function check(probes: Probe[]): Map<string, string> {
  for (const p of probes) {
    const dir = join(DIR, p.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'probe.ts'), p.source);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(ROOT, p.project, 'tsconfig.json'),
        compilerOptions: { rootDir: '.', outDir: 'out', tsBuildInfoFile: 'out/tsbuildinfo' },
        include: [],
        files: ['probe.ts'],
      }),
    );
  }
  writeFileSync(
    join(DIR, 'tsconfig.json'),
    JSON.stringify({ files: [], references: probes.map((p) => ({ path: p.name })) }),
  );
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', DIR, '--pretty', 'false'],
    {
      encoding: 'utf8',
      cwd: ROOT,
    },
  );
  const out = new Map<string, string>(probes.map((p) => [p.name, '']));
  for (const line of `${r.stdout}${r.stderr}`.split('\n')) {
    const m = /boundary-probe-[^/]+\/([\w-]+)\/probe\.ts\(\d+,\d+\): (error .*)/.exec(line);
    if (m) out.set(m[1]!, `${out.get(m[1]!)}${m[2]}\n`);
    else if (line.trim() && !/^\s/.test(line)) throw new Error(`unexpected tsc output: ${line}`);
  }
  return out;
}

const from = (to: string) => JSON.stringify(join(ROOT, to));

describe('enforced boundaries (tsconfig project references)', () => {
  it('shared/ has neither DOM nor node; the client cannot import server/, nor the server client/', () => {
    // Controls: what each side may use (a package, its own globals) type-checks.
    const r = check([
      { name: 'shared-ok', project: 'shared', source: "import { z } from 'zod';\nexport const s = z.string();\n" },
      { name: 'shared-dom', project: 'shared', source: 'export const t = document.title;\n' },
      {
        name: 'shared-node',
        project: 'shared',
        source:
          "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\nexport const p = process.pid;\n",
      },
      { name: 'client-ok', project: 'client', source: 'export const t = document.title;\n' },
      {
        name: 'client-server',
        project: 'client',
        source: `export { mapLimit } from ${from('server/util/mapLimit')};\n`,
      },
      { name: 'client-node', project: 'client', source: 'export const p = process.pid;\n' },
      {
        name: 'server-ok',
        project: 'server',
        source: "import { readFileSync } from 'node:fs';\nexport const p = [process.pid, readFileSync];\n",
      },
      {
        name: 'server-client',
        project: 'server',
        source: `export { RingBuffer } from ${from('client/src/tools/ringBuffer')};\n`,
      },
      { name: 'server-dom', project: 'server', source: 'export const t = document.title;\n' },
    ]);
    expect(r.get('shared-ok')).toBe('');
    expect(r.get('client-ok')).toBe('');
    expect(r.get('server-ok')).toBe('');
    expect(r.get('shared-dom')).toMatch(/TS2584: Cannot find name 'document'/);
    expect(r.get('shared-node')).toMatch(/TS2307: Cannot find module 'node:fs'/);
    expect(r.get('shared-node')).toMatch(/TS2591: Cannot find name 'process'/);
    expect(r.get('client-server')).toMatch(/TS6307: File '.*\/server\/util\/mapLimit\.ts' is not listed/);
    expect(r.get('client-node')).toMatch(/TS2591: Cannot find name 'process'/);
    expect(r.get('server-client')).toMatch(/TS6307: File '.*\/client\/src\/tools\/ringBuffer\.ts' is not listed/);
    expect(r.get('server-dom')).toMatch(/TS2584: Cannot find name 'document'/);
  }, 120_000);
});
