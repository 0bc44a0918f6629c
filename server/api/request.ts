/**
 * Request parsing shared by the HTTP routes (api/routes.ts, discovery/service.ts, tools/service.ts): anything
 * malformed becomes an `AppError('InvalidRequest')` that errors.ts maps to 400.
 */
import type { Request } from 'express';
import type { z } from 'zod';
import { LabName } from '../../shared';
import { AppError, zodIssues } from '../errors';

/** Parses a body (or query) with a shared schema; the first issue is named in the message, all are listed. */
export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first?.path.length ? `${first.path.join('.')}: ` : '';
    throw new AppError(
      'InvalidRequest',
      `invalid request — ${where}${first?.message ?? 'bad body'}`,
      zodIssues(r.error.issues),
    );
  }
  return r.data;
}

/** The `:name` URL parameter, checked against the lab name rules. */
export function labParam(req: Request): string {
  const name = req.params.name;
  if (typeof name !== 'string' || !LabName.safeParse(name).success)
    throw new AppError('InvalidRequest', 'invalid lab name in the URL');
  return name;
}
