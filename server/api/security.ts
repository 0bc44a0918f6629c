/**
 * Locked down by default (RELIABILITY.md promise 8): who a request acts for (a Bearer token, or the session
 * cookie a token link was exchanged for — see sessions.ts), the Host allowlist (DNS-rebinding defence), the
 * Origin check on every state-changing request and WebSocket upgrade, and for cookie-authenticated requests
 * the marks only our own page sends (`X-Netloom-Client: web`; sockets: our Origin and the `netloom.web`
 * subprotocol). Pure request inspection: no routing, no engine.
 */
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { CLIENT_HEADER, CLIENT_HEADER_VALUE, WS_PROTOCOL } from '../../shared/session';
import { AppError } from '../errors';
import { OPERATOR, type Principal, type SessionOptions, Sessions, sessionCookieName } from './sessions';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The dedicated host name (Chromium resolves *.localhost to loopback): its cookies reach no other service. */
export const NETLOOM_HOST = 'netloom.localhost';

export interface SecurityOptions {
  /** The operator's token (principal `operator`). */
  token: string;
  /** The address the server listens on (127.0.0.1 by default); it is an allowed Host name too. */
  listen: string;
  /** Further ports a browser may come through (the vite dev server, which proxies /api and /ws). */
  extraPorts?: number[];
  /** Further allowed host names (without port). */
  extraHosts?: string[];
  sessions?: SessionOptions;
}

/** Who an authenticated request acts for, and how it proved it. */
export interface Authenticated {
  principal: Principal;
  via: 'bearer' | 'session';
  /** The session id (cookie value) when via session. */
  sessionId?: string;
  expiresAt?: number;
}

const isWildcard = (addr: string): boolean => addr === '0.0.0.0' || addr === '::' || addr === '[::]';
const bracket = (addr: string): string => (addr.includes(':') && !addr.startsWith('[') ? `[${addr}]` : addr);
const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export class Security {
  readonly sessions: Sessions;
  private readonly names: Set<string>;
  private readonly extraPorts: number[];

  constructor(opts: SecurityOptions) {
    if (!opts.token) throw new Error('a token is required');
    this.sessions = new Sessions(opts.sessions);
    this.sessions.registerToken(opts.token, OPERATOR);
    const names = ['localhost', NETLOOM_HOST, '127.0.0.1', '[::1]', bracket(opts.listen), ...(opts.extraHosts ?? [])];
    if (isWildcard(opts.listen)) {
      // Listening everywhere (an explicit choice): this machine's own names and addresses are allowed too.
      names.push(hostname());
      for (const list of Object.values(networkInterfaces()))
        for (const a of list ?? []) names.push(bracket(a.address.split('%')[0] ?? a.address));
    }
    this.names = new Set(names.map((n) => n.toLowerCase()));
    this.extraPorts = opts.extraPorts ?? [];
  }

  /** The hook the classroom mints links with: token → principal (operator's token registered at start). */
  principalForToken(token: string | undefined): Principal | null {
    return this.sessions.principalForToken(token);
  }
  registerToken(token: string, principal: Principal): void {
    this.sessions.registerToken(token, principal);
  }
  /** Ends every token and session of principal `id`. */
  revokePrincipal(id: string): number {
    return this.sessions.revokePrincipal(id);
  }

  /** The port a request came to: it names the session cookie. */
  private localPort(req: IncomingMessage): number | string {
    return req.socket.localPort ?? 'default';
  }

  cookieName(req: IncomingMessage): string {
    return sessionCookieName(this.localPort(req));
  }

  /** Token link: a valid token becomes a new session; returns its Set-Cookie value, or null for a bad token. */
  exchange(req: IncomingMessage, token: string): { cookie: string; principal: Principal } | null {
    const principal = this.principalForToken(token);
    if (!principal) return null;
    const { id } = this.sessions.create(principal);
    return { cookie: this.sessions.cookie(this.localPort(req), id), principal };
  }

  /** Logout: ends the request's session (if any); returns the Set-Cookie value that clears the cookie. */
  logout(req: IncomingMessage): string {
    this.sessions.revoke(readCookie(req.headers.cookie, this.cookieName(req)));
    return this.sessions.clearCookie(this.localPort(req));
  }

  /**
   * Who `req` acts for. `Authorization: Bearer T` (CLI, scripts) names a registered token; otherwise the
   * session cookie must name a live session and the request must carry our page's mark: the
   * `X-Netloom-Client: web` header (HTTP), or our Origin and the `netloom.web` subprotocol (WebSocket).
   * A token is never accepted as a cookie value, nor in a URL here (the token link is exchanged in app.ts).
   */
  authenticate(req: IncomingMessage, opts: { upgrade?: boolean } = {}): Authenticated | AppError {
    const auth = header(req, 'authorization');
    const bearer = auth === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (bearer) {
      const principal = this.principalForToken(bearer[1]);
      return principal ? { principal, via: 'bearer' } : new AppError('Unauthorized', 'a valid token is required');
    }
    const sessionId = readCookie(req.headers.cookie, this.cookieName(req));
    if (!sessionId) return new AppError('Unauthorized', 'a valid token is required (open the token link)');
    const s = this.sessions.lookup(sessionId);
    if (!s)
      return new AppError(
        'Unauthorized',
        'the session has expired or was ended: open the token link the server printed again',
      );
    if (opts.upgrade) {
      if (header(req, 'origin') === undefined || !this.originAllowed(req))
        return new AppError('Forbidden', 'a session socket must come from the Netloom page (Origin)');
      const protocols = (header(req, 'sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
      if (!protocols.includes(WS_PROTOCOL))
        return new AppError('Forbidden', `a session socket must ask for the "${WS_PROTOCOL}" subprotocol`);
    } else {
      if (header(req, CLIENT_HEADER) !== CLIENT_HEADER_VALUE)
        return new AppError(
          'Forbidden',
          `a session request must come from the Netloom page (${CLIENT_HEADER}: ${CLIENT_HEADER_VALUE} header)`,
        );
      if (!this.originAllowed(req)) return new AppError('Forbidden', 'cross-origin request refused');
    }
    return { principal: s.principal, via: 'session', sessionId, expiresAt: s.expiresAt };
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

  /** Host, then Origin (state-changing methods and upgrades). Returns the first failure, or null. */
  checkRequest(req: IncomingMessage, opts: { upgrade?: boolean } = {}): AppError | null {
    if (!this.hostAllowed(req)) return new AppError('Forbidden', 'this Host is not allowed');
    if ((opts.upgrade || STATE_CHANGING.has(req.method ?? '')) && !this.originAllowed(req))
      return new AppError('Forbidden', 'cross-origin request refused');
    return null;
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
