import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyLayout, Lab } from '../../shared';
import { silentLogger } from '../log';
import { makeVethPairLab } from '../testing/labs';
import { checkLabFileData, loadExamples, parseLabText } from './labFiles';
import { LabStore } from './labStore';

let dir: string;
let store: LabStore;
const log = silentLogger();
const lab = (name: string) => Lab.parse(makeVethPairLab(name));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netloom-store-'));
  store = await LabStore.open(dir, log);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('LabStore', () => {
  it('keeps one JSON file per lab with {lab, layout, revision, updatedAt}', async () => {
    await store.create(lab('a'), emptyLayout());
    const onDisk = JSON.parse(await readFile(join(dir, 'labs', 'a.json'), 'utf8'));
    expect(onDisk).toMatchObject({ lab: { name: 'a' }, layout: { version: 1 }, revision: 1, appliedRevision: null });
    expect(Date.parse(onDisk.updatedAt)).not.toBeNaN();
    expect((await readdir(join(dir, 'labs'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('bumps the revision on every write and refuses a stale base revision without writing', async () => {
    await store.create(lab('a'), emptyLayout());
    const u = await store.update('a', { lab: { ...lab('a'), title: 'two' }, baseRevision: 1 });
    expect(u.revision).toBe(2);
    await expect(store.update('a', { lab: { ...lab('a'), title: 'lost' }, baseRevision: 1 })).rejects.toMatchObject({
      code: 'Conflict',
    });
    expect((await store.get('a'))?.lab.title).toBe('two');
  });

  it('of two concurrent writers with the same base revision exactly one wins', async () => {
    await store.create(lab('a'), emptyLayout());
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.update('a', { lab: { ...lab('a'), title: `w${i}` }, baseRevision: 1 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await store.get('a'))?.revision).toBe(2);
  });

  it('concurrent creates of one name: one succeeds, the rest conflict', async () => {
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => store.create(lab('c'), emptyLayout())));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('records the applied revision without bumping the revision', async () => {
    await store.create(lab('a'), emptyLayout());
    await store.setApplied('a', 1);
    expect(await store.get('a')).toMatchObject({ revision: 1, appliedRevision: 1 });
    await store.clearApplied();
    expect((await store.get('a'))?.appliedRevision).toBeNull();
  });

  it('getShared hands out one parsed document until the file changes, by the store or by hand', async () => {
    await store.create(lab('a'), emptyLayout());
    const first = await store.getShared('a');
    expect(first?.revision).toBe(1);
    expect(await store.getShared('a')).toBe(first);
    await store.update('a', { baseRevision: 1, layout: emptyLayout() });
    const second = await store.getShared('a');
    expect(second).not.toBe(first);
    expect(second?.revision).toBe(2);
    // Changed in place (same inode) by something else: the size or times differ, so it is read again.
    const path = join(dir, 'labs', 'a.json');
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...onDisk, revision: 7 }));
    expect((await store.getShared('a'))?.revision).toBe(7);
    await store.delete('a');
    expect(await store.getShared('a')).toBeNull();
  });

  it('ignores an unreadable file (logged), refuses bad names, and --fresh wipes labs', async () => {
    await store.create(lab('a'), emptyLayout());
    await writeFile(join(dir, 'labs', 'torn.json'), '{"lab":');
    expect((await store.list()).map((l) => l.name)).toEqual(['a']);
    await expect(store.get('../etc/passwd')).rejects.toMatchObject({ code: 'InvalidRequest' });
    const fresh = await LabStore.open(dir, log, { fresh: true });
    expect(await fresh.list()).toEqual([]);
  });
});

describe('lab files', () => {
  it('parses JSON and YAML, bare labs and {lab, layout}', () => {
    const l = makeVethPairLab('f');
    expect(checkLabFileData(parseLabText(JSON.stringify(l))).lab.name).toBe('f');
    const withLayout = checkLabFileData({ lab: l, layout: { version: 1, positions: { red: { x: 1, y: 1 } } } });
    expect(withLayout.layout.positions.red).toEqual({ x: 1, y: 1 });
    expect(() => checkLabFileData({ lab: l, extra: 1 })).toThrow();
    expect(() => parseLabText('a: [', 'yaml')).toThrow(/YAML/);
  });

  it('loads the committed examples, skipping invalid files', async () => {
    const exDir = join(dir, 'ex');
    await import('node:fs/promises').then((fs) => fs.mkdir(exDir));
    await writeFile(join(exDir, 'good.yaml'), 'version: 1\nname: good\ntitle: Good\nnodes: []\nlinks: []\n');
    await writeFile(join(exDir, 'bad.yaml'), 'version: 1\nname: Bad Name\nnodes: []\nlinks: []\n');
    const ex = await loadExamples(exDir, log);
    expect(ex.map((e) => [e.file, e.name, e.title, e.description])).toEqual([['good.yaml', 'good', 'Good', '']]);
    const real = await loadExamples(new URL('../../examples', import.meta.url).pathname, log);
    expect(real.map((e) => e.file)).toContain('veth-pair.yaml');
  });
});
