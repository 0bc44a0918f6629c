/**
 * The JSON request body parser of /api (in place of express.json): the raw body (size-limited, gzip/deflate
 * inflated by body-parser), then the shared bounded reader (server/util/documents.ts) — nesting, value and
 * key counts, and duplicate keys refused as in YAML files. Refusals are 400 `InvalidRequest` naming the limit.
 */
import express, { type RequestHandler } from 'express';
import { AppError } from '../errors';
import { parseDocumentText } from '../util/documents';

const JSON_TYPES = ['application/json', 'application/*+json'];

export function jsonBody(limit: string | number): RequestHandler[] {
  const raw = express.raw({ type: JSON_TYPES, limit, inflate: true });
  const maxBytes = typeof limit === 'number' ? limit : Number.POSITIVE_INFINITY; // raw already enforced it
  const decode: RequestHandler = (req, _res, next) => {
    if (!Buffer.isBuffer(req.body)) return next();
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8')
      return next(new AppError('InvalidRequest', `unsupported request body charset "${charset}" (utf-8 only)`));
    const text = req.body.toString('utf8');
    if (text.trim() === '') {
      req.body = {};
      return next();
    }
    if (!/^\s*[{[]/.test(text))
      return next(new AppError('InvalidRequest', 'request body is not valid JSON (an object or array is expected)'));
    try {
      req.body = parseDocumentText(text, {
        format: 'json',
        label: 'the request body',
        code: 'InvalidRequest',
        maxBytes,
      });
    } catch (e) {
      return next(e);
    }
    next();
  };
  return [raw, decode];
}
