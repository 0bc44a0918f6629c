/**
 * The importers' and exporter's public surface: importTopology(text) detects the format (or takes it) and
 * returns {lab, layout?, report}; exportTopology(lab) writes containerlab. Pure functions of text: no I/O,
 * no node APIs, so a browser could run them too. Refusals are ImportRefused (errors.ts).
 */
import type { ForeignFormat } from '../../shared';
import { type ImportOptions, type ImportResult, importContainerlab } from './containerlab';
import { importCore } from './core';

export { ImportRefused } from './errors';
export { type ExportResult, exportContainerlab } from './exportClab';
export { formatReport } from './report';
export type { ImportOptions, ImportResult };

/** CORE files are XML (`<?xml …?>` or `<scenario`); everything else is read as containerlab YAML. */
export function detectFormat(text: string, filename = ''): ForeignFormat {
  if (/\.xml$/i.test(filename)) return 'core';
  const head = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 200);
  return head.startsWith('<?xml') || head.startsWith('<scenario') ? 'core' : 'containerlab';
}

export function importTopology(text: string, opts: ImportOptions & { from?: ForeignFormat } = {}): ImportResult {
  const from = opts.from ?? detectFormat(text, opts.filename);
  return from === 'core' ? importCore(text, opts) : importContainerlab(text, opts);
}
