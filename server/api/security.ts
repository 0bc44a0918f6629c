/**
 * Locked down by default (RELIABILITY.md promise 8): the token (Bearer header or HttpOnly cookie, compared in
 * constant time), the Host allowlist (DNS-rebinding defence) and the Origin check on every state-changing
 * request and WebSocket upgrade. Pure request inspection: no routing, no engine.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { AppError } from '../errors';

export const TOKEN_COOKIE = 'netloom_token';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface SecurityOptions {
  token: string;
  /** The address the server listens on (127.0.0.1 by default); it is an allowed Host name too. */
  listen: string;
  /** Further ports a browser may come through (the vite dev server, which proxies /api and /ws). */
  extraPorts?: number[];
  /** Further allowed host names (without port). */
  extraHosts?: string[];
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

const isWildcard = (addr: string): boolean => addr === '0.0.0.0' || addr === '::' || addr === '[::]';
const bracket = (addr: string): string => (addr.includes(':') && !addr.startsWith('[') ? `[${addr}]` : addr);

export class Security {
  private readonly tokenDigest: Buffer;
  private readonly names: Set<string>;
  private readonly extraPorts: number[];

  constructor(opts: SecurityOptions) {
    if (!opts.token) throw new Error('a token is required');
    this.tokenDigest = digest(opts.token);
    const names = ['localhost', '127.0.0.1', '[::1]', bracket(opts.listen), ...(opts.extraHosts ?? [])];
    if (isWildcard(opts.listen)) {
      // Listening everywhere (an explicit choice): this machine's own names and addresses are allowed too.
      names.push(hostname());
      for (const list of Object.values(networkInterfaces()))
        for (const a of list ?? []) names.push(bracket(a.address.split('%')[0] ?? a.address));
    }
    this.names = new Set(names.map((n) => n.toLowerCase()));
    this.extraPorts = opts.extraPorts ?? [];
  }

  /** Constant-time: both sides are hashed to equal-length digests first, so length leaks nothing either. */
  tokenMatches(candidate: string | undefined): boolean {
    if (typeof candidate !== 'string' || candidate.length === 0) return false;
    return timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  /** The token a request carries: `Authorization: Bearer T`, else the cookie, else (WebSocket only) `?token=`. */
  presentedToken(req: IncomingMessage, opts: { allowQuery?: boolean } = {}): string | undefined {
    // A Bearer header decides (a wrong one fails); any other scheme (Basic from a proxy…) is not ours: ignored.
    const auth = req.headers.authorization;
    if (auth && /^Bearer(\s|$)/i.test(auth)) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      return m?.[1] ?? '';
    }
    const fromCookie = readCookie(req.headers.cookie, TOKEN_COOKIE);
    if (fromCookie) return fromCookie;
    if (opts.allowQuery) return new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
    return undefined;
  }

  authorized(req: IncomingMessage, opts: { allowQuery?: boolean } = {}): boolean {
    return this.tokenMatches(this.presentedToken(req, opts));
  }

  private ports(req: IncomingMessage): number[] {
    const p = req.socket.localPort;
    return p === undefined ? this.extraPorts : [p, ...this.extraPorts];
  }

  /** `Host` must be an allowed name with the port the request came to (or a dev proxy port). */
  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host?.toLowerCase();
    if (!host) return false;
    const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
    if (!m) return false;
    const [, name = '', portText] = m;
    if (!this.names.has(name)) return false;
    const port = portText === undefined ? 80 : Number(portText);
    return this.ports(req).includes(port);
  }

  /** `Origin` must be absent (non-browser clients) or one of ours; "null" (sandboxed frames, files) is refused. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' || u.origin !== origin.toLowerCase().replace(/\/$/, '')) return false;
    const port = u.port === '' ? 80 : Number(u.port);
    return this.names.has(u.hostname.toLowerCase()) && this.ports(req).includes(port);
  }

  /** Host, then Origin (state-changing methods), then token. Returns the first failure, or null. */
  checkRequest(
    req: IncomingMessage,
    opts: { needToken: boolean; allowQuery?: boolean; upgrade?: boolean },
  ): AppError | null {
    if (!this.hostAllowed(req)) return new AppError('Forbidden', 'this Host is not allowed');
    if ((opts.upgrade || STATE_CHANGING.has(req.method ?? '')) && !this.originAllowed(req))
      return new AppError('Forbidden', 'cross-origin request refused');
    if (opts.needToken && !this.authorized(req, opts)) return new AppError('Unauthorized', 'a valid token is required');
    return null;
  }

  /** The session cookie set after a page load with `?token=` (HttpOnly: page scripts never see it). */
  cookie(token: string): string {
    return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
  }
}

export const isStateChanging = (method: string | undefined): boolean => STATE_CHANGING.has(method ?? '');

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/** Where to send a browser after taking the token out of its URL: same path and query, never another host. */
export function stripTokenFromUrl(originalUrl: string): string {
  const u = new URL(originalUrl, 'http://x');
  u.searchParams.delete('token');
  // A path like "//evil.example" would be read by the browser as another host: collapse leading slashes.
  return u.pathname.replace(/^\/+/, '/') + u.search;
}
