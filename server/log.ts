/**
 * Structured logging (pino). Secrets never reach a log line: authorization/cookie headers, any `token`
 * field and WireGuard private keys are redacted, and request URLs are logged with the `token` query parameter stripped.
 */
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'token',
  '*.token',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  // WireGuard private keys (server/wireguard): a PrivateKey prints "[redacted]" by itself; these catch raw text.
  'privateKey',
  '*.privateKey',
  '*.*.privateKey',
  'private_key',
  '*.private_key',
];

export interface LoggerOptions {
  level?: string;
  /** File descriptor to write to; logs go to stderr so stdout keeps the start-up banner readable. */
  fd?: number;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'netloom',
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    pino.destination({ fd: opts.fd ?? 2, sync: true }),
  );
}

/** A logger that writes nothing (tests). */
export const silentLogger = (): Logger => pino({ level: 'silent' });

/** The URL as it may appear in a log line: the `token` query parameter is replaced. */
export function redactUrl(url: string): string {
  if (!url.includes('token')) return url;
  try {
    const u = new URL(url, 'http://x');
    if (u.searchParams.has('token')) u.searchParams.set('token', '[redacted]');
    return u.pathname + u.search;
  } catch {
    return '[unparseable url]';
  }
}
