/**
 * validate(input): every problem of a lab document, each with a JSON path and a message a student
 * understands. Runs unchanged in the browser and in the server. Pure; never throws on any input.
 */
import type { Issue } from './errors';
import { Lab } from './lab';

export type ValidationResult =
  | { ok: true; lab: Lab; issues: Issue[] /* warnings only */ }
  | { ok: false; lab?: undefined; issues: Issue[] };

export function validate(input: unknown): ValidationResult {
  const parsed = Lab.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        message: i.message,
        severity: 'error' as const,
        code: 'Schema',
      })),
    };
  }
  const issues: Issue[] = []; // cross-reference rules: see issue #2 (validate.rules)
  const errors = issues.filter((i) => i.severity === 'error');
  return errors.length ? { ok: false, issues } : { ok: true, lab: parsed.data, issues };
}
