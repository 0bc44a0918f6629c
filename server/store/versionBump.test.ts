/**
 * The day the lab format goes to version 2: this test bumps it (migrations.ts is replaced by a history with one
 * more step, so LAB_VERSION and the schema's `version` become 2) and opens every file of today's version —
 * every example — through each real reader: the file reader (CLI `--lab`, examples), the import API, the store
 * (a lab stored on disk by today's Netloom), the engine's applied record, and validate() (the CLI's `plan`/`up`
 * and the canvas opening a file). A file from a newer Netloom (version 3) is refused on `version`.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type * as Migrations from '../../shared/migrations';

/** The step version 2 brings: marks the title, so each reader shows it really ran the migration. */
vi.mock('../../shared/migrations', async (importOriginal) => {
  const real = await importOriginal<typeof Migrations>();
  const v2: Migrations.LabMigration = {
    id: '002-test-bump',
    version: 2,
    up: (doc) => ({ ...doc, title: `${doc.title ?? doc.name} (v2)` }),
    down: ({ title, ...doc }) => ({ ...doc, title: String(title).replace(/ \(v2\)$/, '') }),
  };
  return { ...real, LAB_MIGRATIONS: [...real.LAB_MIGRATIONS, v2], LAB_VERSION: 2 };
});

const { emptyLayout, LAB_VERSION, Lab, validate } = await import('../../shared');
const { silentLogger } = await import('../log');
const { loadExamples, readLabFile } = await import('./labFiles');
const { LabStore } = await import('./labStore');
const { StateDir } = await import('../engine/journal');
const { startTestServer } = await import('../testing/harness');

const EXAMPLES = join(import.meta.dirname, '../../examples');
const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml'));
const text = (f: string) => readFile(join(EXAMPLES, f), 'utf8');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netloom-bump-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('after a format bump to version 2, every lab file of version 1 opens', () => {
  it('the bump took: the code reads version 2, and the examples are still version 1 files', async () => {
    expect(LAB_VERSION).toBe(2);
    expect(Lab.shape.version.safeParse(1).success).toBe(false);
    for (const f of files) expect(parseYaml(await text(f)).version).toBe(1);
  });

  it.each(files)('%s through the file reader (CLI --lab, examples)', async (f) => {
    const { lab } = await readLabFile(join(EXAMPLES, f));
    expect(lab.version).toBe(2);
    expect(lab.title).toMatch(/ \(v2\)$/);
  });

  it('the example catalogue loads all of them', async () => {
    const ex = await loadExamples(EXAMPLES, silentLogger());
    expect(ex.map((e) => e.file).sort()).toEqual([...files].sort());
    for (const e of ex) expect(e.lab.version).toBe(2);
  });

  it.each(files)('%s through validate() (the CLI’s plan/up, the canvas opening a file)', async (f) => {
    const r = validate(parseYaml(await text(f)));
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(r.ok && r.lab.version).toBe(2);
  });

  it('every example through the import API, and back out of the store', async () => {
    const s = await startTestServer();
    try {
      for (const f of files) {
        const r = await s.api('POST', '/api/labs/import', { text: await text(f), format: 'yaml' });
        expect(r.status, f).toBe(201);
        const name = f.replace(/\.yaml$/, '');
        const got = await s.api('GET', `/api/labs/${name}`);
        expect(got.json.lab.version).toBe(2);
        expect(got.json.lab.title).toMatch(/ \(v2\)$/);
      }
    } finally {
      await s.stop();
    }
  });

  it('a lab stored on disk by today’s Netloom (version 1) is read as version 2; a write stores version 2', async () => {
    const stateDir = join(dir, 'store');
    await mkdir(join(stateDir, 'labs'), { recursive: true });
    const v1 = parseYaml(await text('router.yaml'));
    const stored = { lab: v1, layout: emptyLayout(), revision: 3, updatedAt: '2025-01-01T00:00:00.000Z' };
    await writeFile(join(stateDir, 'labs', 'router.json'), JSON.stringify(stored));
    const store = await LabStore.open(stateDir, silentLogger());
    const doc = await store.require('router');
    expect(doc).toMatchObject({ revision: 3, lab: { version: 2, name: 'router', title: `${v1.title} (v2)` } });
    expect(await store.list()).toEqual([expect.objectContaining({ name: 'router', revision: 3 })]);
    await store.update('router', { lab: doc.lab, baseRevision: 3 });
    const onDisk = JSON.parse(await readFile(join(stateDir, 'labs', 'router.json'), 'utf8'));
    expect(onDisk.lab.version).toBe(2);
  });

  it('the engine’s record of an applied version 1 lab is read as version 2', async () => {
    const state = new StateDir(join(dir, 'engine'));
    await state.init();
    await writeFile(
      join(dir, 'engine', 'applied', 'router.json'),
      JSON.stringify(parseYaml(await text('router.yaml'))),
    );
    expect(await state.readApplied('router')).toMatchObject({ version: 2, name: 'router' });
  });

  it('a file from a newer Netloom (version 3) is refused on `version`, by every reader', async () => {
    const v3 = { ...parseYaml(await text('veth-pair.yaml')), version: 3 };
    const r = validate(v3);
    expect(r.issues).toEqual([expect.objectContaining({ path: ['version'], code: 'VersionTooNew' })]);
    expect(r.issues[0]!.message).toBe(
      'this lab is format version 3, newer than this Netloom reads (up to 2): upgrade Netloom to open it',
    );
    const s = await startTestServer();
    try {
      const imp = await s.api('POST', '/api/labs/import', { text: JSON.stringify(v3), format: 'json' });
      expect(imp.status).toBe(400);
      expect(imp.json).toMatchObject({ code: 'InvalidLab', issues: [{ path: ['version'], code: 'VersionTooNew' }] });
      expect(imp.json.message).toContain('format version 3');
    } finally {
      await s.stop();
    }
    // Stored by a newer Netloom: not read (and so never overwritten by a create of the same name).
    const stateDir = join(dir, 'newer');
    await mkdir(join(stateDir, 'labs'), { recursive: true });
    const file = join(stateDir, 'labs', 'veth-pair.json');
    const newer = JSON.stringify({ lab: v3, layout: emptyLayout(), revision: 1, updatedAt: 'x' });
    await writeFile(file, newer);
    const store = await LabStore.open(stateDir, silentLogger());
    expect(await store.get('veth-pair')).toBeNull();
    const { lab } = await readLabFile(join(EXAMPLES, 'veth-pair.yaml'));
    await expect(store.create(lab, emptyLayout())).rejects.toMatchObject({ code: 'Conflict' });
    expect(await readFile(file, 'utf8')).toBe(newer);
  });
});
