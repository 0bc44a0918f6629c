/**
 * Lab files (JSON or YAML) as people write them: parsing text into a checked {lab, layout}, and the
 * example catalogue (`examples/*.yaml`). A file holds either a bare lab or {lab, layout} (an export with
 * its drawing). Everything is validated with the shared rules; nothing here touches the store or host.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { emptyLayout, formatPath, type Lab, Layout, validate } from '../../shared';
import { AppError, zodIssues } from '../errors';
import type { Logger } from '../log';
import { parseDocumentText } from '../util/documents';
import { parseDocumentTextAsync } from '../util/documentsAsync';

export type LabFormat = 'json' | 'yaml';

export interface CheckedLab {
  lab: Lab;
  layout: Layout;
}

/**
 * Text → plain data, bounded (server/util/documents.ts: size, depth, nodes, keys, aliases, duplicate keys;
 * a refusal is a DocumentError naming the limit). JSON when the format is not given and it looks like JSON.
 */
export function parseLabText(text: string, format?: LabFormat, label = 'the lab file'): unknown {
  return parseDocumentText(text, { format: format ?? 'auto', label });
}

/** parseLabText off the event loop for a large text (a worker with a deadline): what the HTTP routes use. */
export function parseLabTextAsync(text: string, format?: LabFormat, label = 'the lab file'): Promise<unknown> {
  return parseDocumentTextAsync(text, { format: format ?? 'auto', label });
}

/** Validates a lab (shared rules) and an optional layout; throws InvalidLab naming every bad path. */
export function checkLab(lab: unknown, layout?: unknown): CheckedLab {
  const v = validate(lab);
  if (!v.ok) {
    const first = v.issues[0];
    const where = first ? `${formatPath(first.path) || '(document)'}: ${first.message}` : 'invalid lab';
    const more = v.issues.length > 1 ? ` (and ${v.issues.length - 1} more)` : '';
    throw new AppError('InvalidLab', `invalid lab — ${where}${more}`, v.issues);
  }
  if (layout === undefined || layout === null) return { lab: v.lab, layout: emptyLayout() };
  const l = Layout.safeParse(layout);
  if (!l.success) throw new AppError('InvalidRequest', 'invalid layout', zodIssues(l.error.issues, ['layout']));
  return { lab: v.lab, layout: l.data };
}

/** A file's data: a bare lab, or {lab, layout} as exported with its drawing. */
export function checkLabFileData(data: unknown): CheckedLab {
  if (typeof data === 'object' && data !== null && !Array.isArray(data) && 'lab' in data && !('nodes' in data)) {
    const { lab, layout, ...rest } = data as Record<string, unknown>;
    if (Object.keys(rest).length)
      throw new AppError('InvalidLab', `unknown key "${Object.keys(rest)[0]}" beside lab/layout`, [
        { path: [Object.keys(rest)[0] ?? ''], message: 'unknown key', severity: 'error', code: 'Schema' },
      ]);
    return checkLab(lab, layout);
  }
  return checkLab(data);
}

export async function readLabFile(path: string): Promise<CheckedLab> {
  const text = await readFile(path, 'utf8');
  const format: LabFormat | undefined = path.endsWith('.json') ? 'json' : /\.ya?ml$/.test(path) ? 'yaml' : undefined;
  return checkLabFileData(await parseLabTextAsync(text, format, basename(path)));
}

export interface Example extends CheckedLab {
  file: string;
  name: string;
  title: string;
  description: string;
}

/** Loads every `*.yaml`/`*.yml`/`*.json` in `dir`; an invalid one is skipped with a log line. */
export async function loadExamples(dir: string, log: Logger): Promise<Example[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch (e) {
    log.warn({ dir, err: String(e) }, 'no examples directory');
    return [];
  }
  const out: Example[] = [];
  for (const f of files) {
    try {
      const { lab, layout } = await readLabFile(join(dir, f));
      out.push({
        file: basename(f),
        name: lab.name,
        title: lab.title ?? lab.name,
        description: lab.description ?? '',
        lab,
        layout,
      });
    } catch (e) {
      const issues = e instanceof AppError ? e.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) : [];
      log.warn({ file: f, err: e instanceof Error ? e.message : String(e), issues }, 'invalid example skipped');
    }
  }
  return out;
}
