/** Error kinds shared by server, CLI and client. Classified at the boundary; mapped to HTTP in one place. */
import * as z from 'zod';

export const ErrorCode = z.enum([
  'InvalidLab', // the document breaks a schema or validation rule (400)
  'InvalidRequest', // malformed request (400)
  'Unauthorized', // missing/wrong token (401)
  'Forbidden', // bad Host or Origin (403)
  'NotFound', // (404)
  'Conflict', // stale revision, name held by a foreign object, busy (409)
  'PayloadTooLarge', // (413)
  'HostCommandFailed', // a command failed during apply (rolled back) (500)
  'VerificationFailed', // apply ran but the host does not match (rolled back) (500)
  'RollbackFailed', // rollback itself failed: recover required (500)
  'RecoveryRequired', // a previous rollback failed; applies refused until `recover` (409)
  'PermissionDenied', // not allowed to change the host (403)
  'Unsupported', // the kernel lacks a feature the lab needs (422)
  'TooManyRequests', // a per-user quota (exec, terminals, captures, sockets) is used up (429)
  'QuotaExceeded', // a classroom student's quota (namespaces, terminals, captures) is used up (429)
  'Bug', // anything else (500); never leaks a stack trace
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** One problem, located by a JSON path into the document so the canvas can show it on the right object. */
export const Issue = z.strictObject({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
  severity: z.enum(['error', 'warning']).default('error'),
  /** Stable machine-readable code, e.g. DuplicateName, OverlappingSubnet. */
  code: z.string().default('Invalid'),
  /** Id of the lab object the problem concerns, when there is one. */
  object: z.string().optional(),
});
export type Issue = z.infer<typeof Issue>;

/** The one error body every API error uses. */
export const ErrorBody = z.strictObject({
  code: ErrorCode,
  message: z.string(),
  issues: z.array(Issue).default([]),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const formatPath = (path: ReadonlyArray<string | number>): string =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
