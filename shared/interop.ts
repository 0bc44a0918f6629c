/**
 * Import/export of foreign topology formats (containerlab, CORE): the import report and the HTTP contract
 * of /api/interop/*. Shapes only — the importers live in server/interop/. Imports only zod.
 */
import * as z from 'zod';
import { Lab } from './lab';
import { Layout } from './layout';

export const ForeignFormat = z.enum(['containerlab', 'core']);
export type ForeignFormat = z.infer<typeof ForeignFormat>;

/** What happened to one thing of the source file (a node, a link, an exec line, a setting). */
export const ReportEffect = z.enum(['imported', 'approximated', 'dropped']);
export type ReportEffect = z.infer<typeof ReportEffect>;

/** One remark on an item: what was approximated (and how) or dropped (and why); `info` is neither. */
export const ReportNote = z.strictObject({
  effect: z.enum(['info', 'approximated', 'dropped']),
  text: z.string(),
});
export type ReportNote = z.infer<typeof ReportNote>;

export const ReportItem = z.strictObject({
  /** `lab` for file-wide settings (management network, env variables, …). */
  kind: z.enum(['node', 'link', 'lab']),
  /** How the source file names it: a node name, `a:eth1 ↔ b:eth1`, `mgmt`, … */
  source: z.string(),
  /** Id of the lab object it became, when it became one. */
  target: z.string().optional(),
  /** The worst effect among the notes (imported when there is nothing to say). */
  status: ReportEffect,
  notes: z.array(ReportNote),
});
export type ReportItem = z.infer<typeof ReportItem>;

export const ImportReport = z.strictObject({
  format: ForeignFormat,
  /** The file name given with the import (or `-`). */
  source: z.string(),
  /** The lab's name (may differ from the file's own name: lab names are lowercase, at most 32). */
  lab: z.string(),
  counts: z.strictObject({ imported: z.number().int(), approximated: z.number().int(), dropped: z.number().int() }),
  items: z.array(ReportItem),
});
export type ImportReport = z.infer<typeof ImportReport>;

/**
 * POST /api/interop/import — a foreign topology file's text. `from` absent: detected. `save: false` only
 * converts (a preview); otherwise the lab is stored (`name` overrides its name) and the document returned.
 * `env`: values for containerlab's `${VAR}` substitution (the server's own environment is never used).
 */
export const InteropImportRequest = z.strictObject({
  text: z.string().max(5_000_000),
  filename: z.string().max(255).optional(),
  from: ForeignFormat.optional(),
  name: z.string().max(64).optional(),
  save: z.boolean().default(true),
  env: z.record(z.string().max(256), z.string().max(4096)).optional(),
});
export type InteropImportRequest = z.input<typeof InteropImportRequest>;

export const InteropImportResponse = z.strictObject({
  lab: Lab,
  layout: Layout,
  /** Store revision when saved; absent for a preview. */
  revision: z.number().int().optional(),
  report: ImportReport,
});
export type InteropImportResponse = z.infer<typeof InteropImportResponse>;

/** GET /api/labs/:name/export/containerlab → the `.clab.yml` text plus what did not map. */
export const InteropExportResponse = z.strictObject({
  filename: z.string(),
  text: z.string(),
  notes: z.array(z.string()),
});
export type InteropExportResponse = z.infer<typeof InteropExportResponse>;
