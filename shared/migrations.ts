/**
 * The lab file format's history: one migration per version step, in order, appended and never edited once
 * released (a shipped file must always open). Version 1 is the first format, so there is nothing to migrate
 * yet. Data only; migrate.ts runs it. Imports nothing: a migration reads and writes plain JSON, never today's
 * types (they describe only the newest format).
 */

/** A JSON object as read from a file, of whatever version. */
export type LabJson = { [key: string]: unknown };

export interface LabMigration {
  /** Stable and unique, `NNN-what-changed` (e.g. `002-endpoint-admin-state`); named in errors. */
  id: string;
  /** The version this step produces: it reads `version - 1` (up) and gives it back (down). */
  version: number;
  /** Must not mutate its argument; sets no `version` (migrate.ts does). */
  up(doc: LabJson): LabJson;
  /** The exact inverse of `up` for every document `up` produced (a test checks it on every example). */
  down(doc: LabJson): LabJson;
}

/** The first format (files older than migrations have `version: 1`). */
export const FIRST_LAB_VERSION = 1;

/**
 * To change the format: append a migration here, bump LAB_VERSION to its `version`, change the zod schema in
 * lab.ts, run `npm run gen:schema`. migrations.test.ts checks the chain is whole and LAB_VERSION is its end.
 */
export const LAB_MIGRATIONS: readonly LabMigration[] = [];

/** The version this code reads natively and writes. */
export const LAB_VERSION = 1 as const;
