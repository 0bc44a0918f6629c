/**
 * Moves a lab document between format versions along migrations.ts (up to read an old file, down to write for
 * an older Netloom). Every reader runs it before the schema: validate() does, so the CLI, the import API, the
 * store and the canvas opening a file all open old files. Pure; never throws: a document it cannot move
 * yields an Issue on `version`.
 */
import type { Issue } from './errors';
import { FIRST_LAB_VERSION, LAB_MIGRATIONS, type LabJson, type LabMigration } from './migrations';

export type MigrateResult =
  | { ok: true; doc: unknown; from: number | null; applied: string[] }
  | { ok: false; issue: Issue };

export interface MigrateOptions {
  /** The version wanted (default: the newest, what this code reads). */
  to?: number;
  /** The history to follow (default: migrations.ts; tests pass their own). */
  migrations?: readonly LabMigration[];
}

const isObject = (x: unknown): x is LabJson => typeof x === 'object' && x !== null && !Array.isArray(x);

const versionIssue = (message: string, code: string): MigrateResult => ({
  ok: false,
  issue: { path: ['version'], message, severity: 'error', code },
});

/**
 * `input` at version `opts.to`. Input that is not an object with an integer `version` passes through as it
 * is (the schema then says what is wrong with it); so does a document already at the target version.
 */
export function migrateLab(input: unknown, opts: MigrateOptions = {}): MigrateResult {
  const migrations = opts.migrations ?? LAB_MIGRATIONS;
  const newest = FIRST_LAB_VERSION + migrations.length;
  const to = opts.to ?? newest;
  if (!isObject(input) || !Number.isInteger(input.version)) return { ok: true, doc: input, from: null, applied: [] };
  const from = input.version as number;
  if (from === to) return { ok: true, doc: input, from, applied: [] };
  if (from > newest)
    return versionIssue(
      `this lab is format version ${from}, newer than this Netloom reads (up to ${newest}): upgrade Netloom to open it`,
      'VersionTooNew',
    );
  if (from < FIRST_LAB_VERSION)
    return versionIssue(`there is no lab format version ${from} (the first is ${FIRST_LAB_VERSION})`, 'VersionUnknown');
  if (!Number.isInteger(to) || to < FIRST_LAB_VERSION || to > newest)
    return versionIssue(
      `cannot write lab format version ${to} (this Netloom knows ${FIRST_LAB_VERSION}–${newest})`,
      'VersionUnknown',
    );

  let doc: LabJson = input;
  const applied: string[] = [];
  const step = from < to ? 1 : -1;
  for (let v = from; v !== to; v += step) {
    // Up from v uses the migration producing v + 1; down from v undoes the one that produced v.
    const m = migrations[(step > 0 ? v + 1 : v) - FIRST_LAB_VERSION - 1]!;
    let next: LabJson;
    try {
      next = step > 0 ? m.up(doc) : m.down(doc);
    } catch (e) {
      return versionIssue(
        `cannot move this lab from format version ${v} to ${v + step} (migration ${m.id}): ${e instanceof Error ? e.message : String(e)}`,
        'MigrationFailed',
      );
    }
    doc = { ...next, version: v + step };
    applied.push(`${m.id} ${step > 0 ? 'up' : 'down'}`);
  }
  return { ok: true, doc, from, applied };
}

/** The chain's own rules (a test runs this on migrations.ts): versions consecutive, ids unique. */
export function checkMigrations(migrations: readonly LabMigration[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  migrations.forEach((m, i) => {
    if (m.version !== FIRST_LAB_VERSION + i + 1)
      problems.push(`${m.id}: produces version ${m.version}, expected ${FIRST_LAB_VERSION + i + 1}`);
    if (ids.has(m.id)) problems.push(`${m.id}: id used twice`);
    ids.add(m.id);
  });
  return problems;
}
