/**
 * The error type every server layer may throw (store, engine glue, tools, HTTP): an ErrorCode from
 * shared/errors.ts plus issues with JSON paths. Mapping codes to HTTP statuses is server/api/errors.ts's job.
 */
import type { ErrorCode, Issue } from '../shared';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: Issue[];
  constructor(code: ErrorCode, message: string, issues: Issue[] = []) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.issues = issues;
  }
}

/** zod issues → shared Issues (path kept as a JSON path; symbols stringified). */
export function zodIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  prefix: ReadonlyArray<string | number> = [],
): Issue[] {
  return issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: i.message,
    severity: 'error' as const,
    code: 'Schema',
  }));
}
