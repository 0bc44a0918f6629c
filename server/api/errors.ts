/**
 * The one place where error kinds become HTTP: `httpStatus` maps the ErrorCode of an `AppError` (server/errors.ts)
 * to a status, `toErrorResponse` turns anything thrown into the shared ErrorBody.
 * Unknown errors become 500 {code:'Bug'} — never a stack trace or an internal message.
 */
import type { ErrorBody, ErrorCode } from '../../shared';
import { AppError } from '../errors';

export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case 'InvalidLab':
    case 'InvalidRequest':
      return 400;
    case 'Unauthorized':
      return 401;
    case 'Forbidden':
    case 'PermissionDenied':
      return 403;
    case 'NotFound':
      return 404;
    case 'Conflict':
    case 'RecoveryRequired':
      return 409;
    case 'PayloadTooLarge':
      return 413;
    case 'Unsupported':
      return 422;
    case 'TooManyRequests':
    case 'QuotaExceeded':
      return 429;
    default:
      return 500;
  }
}

/** Errors raised by body-parser carry a `type`; classify them without looking at English text. */
function fromBodyParser(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null) return null;
  // A Content-Encoding body zlib cannot inflate (body-parser passes zlib's error on, with status 400).
  const zcode = (err as { code?: unknown }).code;
  if (typeof zcode === 'string' && zcode.startsWith('Z_'))
    return new AppError(
      'InvalidRequest',
      `request body is not valid ${encodingName(err)} data (${zcode === 'Z_BUF_ERROR' ? 'truncated' : 'corrupt'})`,
    );
  if (!('type' in err)) return null;
  switch ((err as { type: unknown }).type) {
    case 'entity.too.large':
      return new AppError('PayloadTooLarge', 'request body is too large (limit 2 MiB)');
    case 'entity.parse.failed':
      return new AppError('InvalidRequest', 'request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('InvalidRequest', 'unsupported request body encoding');
    case 'request.aborted':
      return new AppError('InvalidRequest', 'request aborted');
    default:
      return null;
  }
}

const encodingName = (err: object): string =>
  /deflate/i.test(String((err as { message?: unknown }).message)) ? 'deflate' : 'gzip/deflate';

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** True when the error was not classified (a bug): log it with its stack. */
  unexpected: boolean;
}

export function toErrorResponse(err: unknown): ErrorResponse {
  const app = err instanceof AppError ? err : fromBodyParser(err);
  if (app) {
    return {
      status: httpStatus(app.code),
      body: { code: app.code, message: app.message, issues: app.issues },
      unexpected: false,
    };
  }
  return { status: 500, body: { code: 'Bug', message: 'internal error', issues: [] }, unexpected: true };
}
