/**
 * The compiled server (scripts/build-server.mjs): a build follows the imports (a new module needs no
 * registration), knows when it is stale (a source edited, touched, added beside an import or deleted; the
 * installed packages changed), refuses a server module that asks where it is, and the real tree builds into
 * a CLI that runs. Scratch trees live under reports/ and are built to their own dist/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer as build, ROOT, staleReason as stale } from './build-server.mjs';

mkdirSync(join(ROOT, 'reports'), { recursive: true });
const SCRATCH = mkdtempSync(join(ROOT, 'reports', 'build-server-'));
afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const root = join(SCRATCH, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}
const write = (root: string, rel: string, text: string) => writeFileSync(join(root, rel), text);
/** Runs the built CLI's main(args) in a fresh node; its stdout. */
function run(entry: string, args: string[]): string {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(entry)}); process.exitCode = await m.main(${JSON.stringify(args)});`,
    ],
    { encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const CLI = (extra: string) => `import { two } from './lib/two';
${extra}
export async function main(args: string[]): Promise<number> {
  console.log([two(), ...(args.includes('--new') ? [added()] : [])].join(' '));
  return 0;
}
`;

describe('build-server', () => {
  it('follows the imports, and knows when a source was edited, touched, added beside an import or deleted', async () => {
    const root = tree('stale', {
      'package.json': '{"name":"scratch"}',
      'server/cli.ts': CLI("const added = (): string => 'none';"),
      'server/lib/two.ts': "import { TWO } from '../../shared/k';\nexport const two = (): number => TWO;\n",
      'shared/k.ts': 'export const TWO: number = 2;\n',
      'server/unrelated/x.ts': 'export const x = 1;\n',
    });
    expect(stale({ root })).toBe('not built yet');
    let b = await build({ root });
    expect(b.inputs).toBe(3);
    expect(stale({ root })).toBeNull();
    expect(run(b.entry, [])).toBe('2\n');

    write(root, 'shared/k.ts', 'export const TWO: number = 22;\n');
    expect(stale({ root })).toBe('shared/k.ts changed');
    b = await build({ root });
    expect(stale({ root })).toBeNull();
    expect(run(b.entry, [])).toBe('22\n');

    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'server/lib/two.ts'), later, later);
    expect(stale({ root })).toBe('server/lib/two.ts changed');
    await build({ root });

    // A new module imported by an edited one: the edit makes it stale, the build picks the new file up.
    write(root, 'server/lib/added.ts', "export const added = (): string => 'added';\n");
    expect(stale({ root })).toBe('server/lib changed'); // a file appeared next to an imported one
    write(root, 'server/cli.ts', CLI("import { added } from './lib/added';"));
    expect(stale({ root })).toBe('server/cli.ts changed');
    b = await build({ root });
    expect(b.inputs).toBe(4);
    expect(run(b.entry, ['--new'])).toBe('22 added\n');

    write(root, 'server/unrelated/y.ts', 'export const y = 1;\n'); // not part of the bundle
    expect(stale({ root })).toBeNull();

    rmSync(join(root, 'server/lib/added.ts'));
    expect(stale({ root })).toMatch(/^server\/lib(\/added\.ts is gone| changed)$/);
    write(root, 'server/lib/added.ts', "export const added = (): string => 'back';\n");
    await build({ root });
    write(root, 'package.json', '{"name":"scratch","version":"2.0.0"}');
    expect(stale({ root })).toBe('package.json changed');
  }, 60_000);

  it('refuses a server module that asks where it is (in the bundle that is dist/server/), except server/paths.ts', async () => {
    const root = tree('paths', {
      'server/cli.ts':
        "import { here } from './where';\nimport { ROOT } from './paths';\nexport const main = async () => (console.log(here, ROOT), 0);\n",
      'server/paths.ts': 'export const ROOT = import.meta.dirname;\n',
      'server/where.ts': 'export const here = import.meta.dirname;\n',
    });
    await expect(build({ root })).rejects.toThrow(
      /server\/where\.ts uses import\.meta\.dirname: .*Take paths from server\/paths\.ts \(REPO_ROOT\)/,
    );
    write(root, 'server/where.ts', "export const here = 'fixed';\n");
    const b = await build({ root });
    expect(run(b.entry, [])).toMatch(/^fixed .*\/paths\/dist\/server\n$/);
  }, 60_000);

  it('refuses a static import of an unbundled package (it would load at every start); import() is fine', async () => {
    const root = tree('eager', {
      'server/cli.ts':
        "import { spawn } from 'node-pty';\nexport const main = async () => (console.log(typeof spawn), 0);\n",
    });
    await expect(build({ root })).rejects.toThrow(/node-pty imported statically: .*use import\(\) where it is needed/);
    write(
      root,
      'server/cli.ts',
      "export const main = async () => (console.log(typeof (await import('node-pty')).spawn), 0);\n",
    );
    const b = await build({ root });
    expect(run(b.entry, [])).toBe('function\n');
  }, 60_000);

  it('puts what import() loads in chunks beside the entry; a chunk gone makes the build stale', async () => {
    const root = tree('chunks', {
      'server/cli.ts':
        "export async function main(): Promise<number> {\n  console.log((await import('./lazy')).lazy());\n  return 0;\n}\n",
      'server/lazy.ts': "export const lazy = (): string => 'lazy';\n",
    });
    const b = await build({ root });
    expect(b.chunks).toBeGreaterThan(0);
    expect(readFileSync(b.entry, 'utf8')).not.toContain("'lazy'");
    expect(run(b.entry, [])).toBe('lazy\n');
    const chunk = readdirSync(join(b.entry, '..')).find((f) => /^chunk-.*\.mjs$/.test(f))!;
    rmSync(join(b.entry, '..', chunk));
    expect(stale({ root })).toBe(`${chunk} is gone`);
    await build({ root });
    expect(stale({ root })).toBeNull();
    expect(run(b.entry, [])).toBe('lazy\n');
  }, 60_000);

  it('the real server and CLI build into a bundle that runs without tsx, finding the repository', async () => {
    const outDir = join(SCRATCH, 'real');
    const b = await build({ root: ROOT, outDir });
    expect(b.inputs).toBeGreaterThan(50);
    expect(stale({ root: ROOT, outDir })).toBeNull();
    // Loading the bundle computes REPO_ROOT (server/paths.ts throws when it finds no Netloom package.json).
    expect(run(b.entry, ['--help'])).toContain('netloom plan FILE');
    const probe = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(b.entry)}); process.exitCode = await m.main(['plan', 'no-such-file.yaml']);`,
      ],
      { encoding: 'utf8', cwd: ROOT },
    );
    expect(probe.status).toBe(2);
    expect(probe.stderr).toContain('cannot read no-such-file.yaml');
  }, 60_000);
});
