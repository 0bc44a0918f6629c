/**
 * Exercise files (YAML or JSON) as teachers write them: text → checked Exercise, and the catalogue
 * (`examples/exercises/*.yaml`). All parsing of exercise text goes through parseExerciseText() (one place to
 * swap for the store's bounded parser). Nothing here touches the store or the host.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Exercise, formatPath, validateExercise } from '../../shared';
import { AppError } from '../errors';
import type { Logger } from '../log';
import { REPO_ROOT } from '../paths';
import { parseDocumentText } from '../util/documents';

/** An exercise file is small; a bigger one is refused before parsing. */
export const MAX_EXERCISE_BYTES = 1_000_000;

export const EXERCISES_DIR = join(REPO_ROOT, 'examples', 'exercises');

/**
 * Text → plain data (JSON when it looks like JSON, else YAML), bounded by the shared document limits
 * (server/util/documents.ts; a refusal is a DocumentError naming the limit), at most MAX_EXERCISE_BYTES.
 */
export function parseExerciseText(text: string, format?: 'json' | 'yaml'): unknown {
  return parseDocumentText(text, { format: format ?? 'auto', label: 'the exercise', maxBytes: MAX_EXERCISE_BYTES });
}

/** Checks exercise data; throws InvalidLab naming every bad path. */
export function checkExercise(data: unknown): Exercise {
  const v = validateExercise(data);
  if (v.ok) return v.exercise;
  const first = v.issues[0];
  const where = first ? `${formatPath(first.path) || '(document)'}: ${first.message}` : 'invalid exercise';
  const more = v.issues.length > 1 ? ` (and ${v.issues.length - 1} more)` : '';
  throw new AppError('InvalidLab', `invalid exercise — ${where}${more}`, v.issues);
}

export async function readExerciseFile(path: string): Promise<Exercise> {
  const text = await readFile(path, 'utf8');
  const format = path.endsWith('.json') ? 'json' : /\.ya?ml$/.test(path) ? 'yaml' : undefined;
  return checkExercise(parseExerciseText(text, format));
}

export interface CatalogueEntry {
  /** The file name: the catalogue key. */
  file: string;
  exercise: Exercise;
}

/** Every `*.yaml`/`*.yml`/`*.json` of `dir`, in name order; an invalid one is skipped with a log line. */
export async function loadCatalogue(dir: string, log: Logger): Promise<CatalogueEntry[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch (e) {
    log.warn({ dir, err: String(e) }, 'no exercises directory');
    return [];
  }
  const out: CatalogueEntry[] = [];
  for (const f of files) {
    try {
      out.push({ file: basename(f), exercise: await readExerciseFile(join(dir, f)) });
    } catch (e) {
      const issues = e instanceof AppError ? e.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) : [];
      log.warn({ file: f, err: e instanceof Error ? e.message : String(e), issues }, 'invalid exercise skipped');
    }
  }
  return out;
}
