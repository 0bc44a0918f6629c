/**
 * Lab format migrations (migrate.ts over migrations.ts). The real history has no step yet (version 1 is the
 * first), so the machinery is driven by a made-up history of two structural steps, run over every example and
 * every planner fixture's lab: up reaches the newest format, down gives back exactly the original.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkMigrations, migrateLab } from './migrate';
import { FIRST_LAB_VERSION, LAB_MIGRATIONS, LAB_VERSION, type LabJson, type LabMigration } from './migrations';
import { validate } from './validate';

const ROOT = join(import.meta.dirname, '..');
const examples = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => [`examples/${f}`, parse(readFileSync(join(ROOT, 'examples', f), 'utf8'))] as const);
const fixtureDir = join(ROOT, 'server/test/fixtures/plan');
const fixtures = readdirSync(fixtureDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .map((d) => [`fixtures/${d}`, JSON.parse(readFileSync(join(fixtureDir, d, 'desired.json'), 'utf8'))] as const);
const today = [...examples, ...fixtures];

type Json = LabJson;
const mapEndpoints = (doc: Json, f: (e: Json) => Json): Json => ({
  ...doc,
  links: (doc.links as Json[]).map((l) => ({ ...l, endpoints: (l.endpoints as Json[]).map(f) })),
});
/** Made-up history: 2 spells an endpoint's admin state as a word, 3 renames `title` to `label`. */
const HISTORY: LabMigration[] = [
  {
    id: '002-endpoint-state-word',
    version: 2,
    up: (doc) => mapEndpoints(doc, ({ up, ...e }) => (up === undefined ? e : { ...e, state: up ? 'up' : 'down' })),
    down: (doc) => mapEndpoints(doc, ({ state, ...e }) => (state === undefined ? e : { ...e, up: state === 'up' })),
  },
  {
    id: '003-title-is-label',
    version: 3,
    up: ({ title, ...doc }) => (title === undefined ? doc : { ...doc, label: title }),
    down: ({ label, ...doc }) => (label === undefined ? doc : { ...doc, title: label }),
  },
];

/** Freezes every object and array inside `x`: a migration that mutates its input throws. */
function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

describe('the real history (migrations.ts)', () => {
  it('is a whole chain from version 1 whose end is LAB_VERSION, the version the schema reads', () => {
    expect(checkMigrations(LAB_MIGRATIONS)).toEqual([]);
    expect(LAB_VERSION).toBe(FIRST_LAB_VERSION + LAB_MIGRATIONS.length);
    for (const [, doc] of examples) expect((doc as Json).version).toBe(LAB_VERSION);
  });

  it.each(today)('%s: today’s file passes through unchanged (same object)', (_, doc) => {
    const r = migrateLab(doc);
    expect(r).toEqual({ ok: true, doc, from: LAB_VERSION, applied: [] });
    if (r.ok) expect(r.doc).toBe(doc);
  });

  it('every real step is the exact inverse of its down on every example and fixture', () => {
    for (const [name, doc] of today) {
      const up = migrateLab(doc, { to: FIRST_LAB_VERSION });
      expect(up.ok, name).toBe(true);
      if (!up.ok) continue;
      const back = migrateLab(up.doc);
      expect(back.ok && back.doc, name).toEqual(doc);
    }
  });
});

describe('migrateLab over a made-up history (1 → 2 → 3)', () => {
  it('checkMigrations accepts it and rejects a gap or a reused id', () => {
    expect(checkMigrations(HISTORY)).toEqual([]);
    expect(checkMigrations([HISTORY[1]!])).toEqual(['003-title-is-label: produces version 3, expected 2']);
    expect(checkMigrations([HISTORY[0]!, { ...HISTORY[1]!, id: HISTORY[0]!.id }])).toEqual([
      '002-endpoint-state-word: id used twice',
    ]);
  });

  it.each(today)('%s: up to 3 and down to 1 again gives back exactly the file, never mutating it', (_, doc) => {
    const frozen = deepFreeze(structuredClone(doc)) as Json;
    const up = migrateLab(frozen, { migrations: HISTORY });
    expect(up).toMatchObject({ ok: true, from: 1, applied: ['002-endpoint-state-word up', '003-title-is-label up'] });
    if (!up.ok) return;
    const v3 = up.doc as Json;
    expect(v3.version).toBe(3);
    expect(v3.label).toBe((doc as Json).title);
    expect('title' in v3).toBe(false);
    const ends = (v3.links as Json[]).flatMap((l) => l.endpoints as Json[]);
    for (const e of ends) expect('up' in e).toBe(false);
    const down = migrateLab(deepFreeze(v3), { migrations: HISTORY, to: 1 });
    expect(down).toMatchObject({
      ok: true,
      from: 3,
      applied: ['003-title-is-label down', '002-endpoint-state-word down'],
    });
    expect(down.ok && down.doc).toEqual(doc);
  });

  it('moves one step at a time from any version: 2 → 3 and 3 → 2', () => {
    const [, doc] = examples[0]!;
    const v2 = migrateLab(doc, { migrations: HISTORY, to: 2 });
    expect(v2).toMatchObject({ ok: true, applied: ['002-endpoint-state-word up'] });
    if (!v2.ok) return;
    expect((v2.doc as Json).version).toBe(2);
    const v3 = migrateLab(v2.doc, { migrations: HISTORY });
    expect(v3).toMatchObject({ ok: true, from: 2, applied: ['003-title-is-label up'] });
    if (!v3.ok) return;
    expect(migrateLab(v3.doc, { migrations: HISTORY, to: 2 })).toEqual({
      ...v2,
      from: 3,
      applied: ['003-title-is-label down'],
    });
  });

  it('a file newer than the code is refused on `version`, naming both versions', () => {
    const r = migrateLab({ version: 4, name: 'x' }, { migrations: HISTORY });
    expect(r).toEqual({
      ok: false,
      issue: {
        path: ['version'],
        severity: 'error',
        code: 'VersionTooNew',
        message: 'this lab is format version 4, newer than this Netloom reads (up to 3): upgrade Netloom to open it',
      },
    });
  });

  it('a version before the first, or a target outside the history, is refused on `version`', () => {
    expect(migrateLab({ version: 0 }, { migrations: HISTORY })).toMatchObject({
      ok: false,
      issue: {
        path: ['version'],
        code: 'VersionUnknown',
        message: 'there is no lab format version 0 (the first is 1)',
      },
    });
    expect(migrateLab({ version: 1 }, { migrations: HISTORY, to: 7 })).toMatchObject({
      ok: false,
      issue: { path: ['version'], code: 'VersionUnknown' },
    });
  });

  it('a step that throws is reported on `version` with its id, and nothing half-migrated comes back', () => {
    const broken: LabMigration = {
      ...HISTORY[1]!,
      up: () => {
        throw new Error('label clash');
      },
    };
    expect(migrateLab(examples[0]![1], { migrations: [HISTORY[0]!, broken] })).toEqual({
      ok: false,
      issue: {
        path: ['version'],
        severity: 'error',
        code: 'MigrationFailed',
        message: 'cannot move this lab from format version 2 to 3 (migration 003-title-is-label): label clash',
      },
    });
  });

  it('input that is not a versioned object passes through for the schema to judge', () => {
    for (const x of [null, 'lab', 42, [1], {}, { version: '1' }, { version: 1.5 }])
      expect(migrateLab(x, { migrations: HISTORY })).toEqual({ ok: true, doc: x, from: null, applied: [] });
  });
});

describe('validate() migrates first', () => {
  it('a file from a newer Netloom gets one clear issue on `version`', () => {
    const [, doc] = examples[0]!;
    const r = validate({ ...(doc as Json), version: LAB_VERSION + 1 });
    expect(r.ok).toBe(false);
    expect(r.issues).toEqual([expect.objectContaining({ path: ['version'], code: 'VersionTooNew' })]);
    expect(r.issues[0]!.message).toContain(`format version ${LAB_VERSION + 1}`);
  });

  it('a missing or mistyped version is still the schema’s to report (on `version`)', () => {
    const [, doc] = examples[0]!;
    const { version: _, ...rest } = doc as Json;
    for (const bad of [rest, { ...rest, version: 'one' }, { ...rest, version: 1.5 }]) {
      const r = validate(bad);
      expect(r.ok).toBe(false);
      expect(r.issues).toEqual([
        expect.objectContaining({ path: ['version'], message: `"version" must be ${LAB_VERSION}` }),
      ]);
    }
  });
});
