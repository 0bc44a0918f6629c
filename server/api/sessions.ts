/**
 * Sessions (issue #13 item 5). A token link (`?token=T`) is exchanged once for an opaque random session id
 * held here, in memory (a restart means opening the token link again); the cookie carries only that id, never
 * the token. Sessions expire when idle and at an absolute deadline, and can be revoked one by one (logout) or
 * all of a principal's at once. Tokens map to principals: the operator's token is registered at start, the
 * classroom registers one per student (`registerToken`) and revokes it with `revokePrincipal`.
 * Pure bookkeeping: no HTTP routing here (app.ts wires it), no engine.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../../shared/session';

export type { Principal, Role } from '../../shared/session';

/** A session unused this long is gone. */
export const SESSION_IDLE_MS = 8 * 3600_000;
/** A session ends this long after the token link was opened, used or not. */
export const SESSION_ABSOLUTE_MS = 24 * 3600_000;
/** Live sessions kept per principal; opening the link once more drops the oldest. */
export const SESSIONS_PER_PRINCIPAL = 16;

export const OPERATOR: Principal = { id: 'operator', role: 'operator', label: 'operator' };

/** One cookie name per server port: two servers on one machine never overwrite each other's session. */
export const sessionCookieName = (port: number | string): string => `netloom_session_${port}`;

export interface SessionOptions {
  idleMs?: number;
  absoluteMs?: number;
  perPrincipal?: number;
  now?: () => number;
}

interface Session {
  principal: Principal;
  created: number;
  lastUsed: number;
}

export interface SessionInfo {
  principal: Principal;
  expiresAt: number;
}

/** Tokens and session ids are looked up by their SHA-256: a map probe never compares the secret itself. */
const digest = (s: string): string => createHash('sha256').update(s, 'utf8').digest('base64url');

export class Sessions {
  private readonly tokens = new Map<string, Principal>();
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly perPrincipal: number;
  private readonly now: () => number;

  constructor(opts: SessionOptions = {}) {
    this.idleMs = opts.idleMs ?? SESSION_IDLE_MS;
    this.absoluteMs = opts.absoluteMs ?? SESSION_ABSOLUTE_MS;
    this.perPrincipal = opts.perPrincipal ?? SESSIONS_PER_PRINCIPAL;
    this.now = opts.now ?? Date.now;
  }

  /** The token `token` now logs in as `principal` (a token link, or `Authorization: Bearer`). */
  registerToken(token: string, principal: Principal): void {
    if (!token) throw new Error('a token is required');
    this.tokens.set(digest(token), { ...principal });
  }

  unregisterToken(token: string): void {
    this.tokens.delete(digest(token));
  }

  principalForToken(token: string | undefined): Principal | null {
    if (typeof token !== 'string' || token.length === 0) return null;
    return this.tokens.get(digest(token)) ?? null;
  }

  /** Drops every token and session of principal `id` (a student removed from the class). Returns sessions ended. */
  revokePrincipal(id: string): number {
    for (const [k, p] of this.tokens) if (p.id === id) this.tokens.delete(k);
    let n = 0;
    for (const [k, s] of this.sessions)
      if (s.principal.id === id) {
        this.sessions.delete(k);
        n++;
      }
    return n;
  }

  /** A new session for `principal`; returns its id (the cookie value: 256 random bits). */
  create(principal: Principal): { id: string; expiresAt: number } {
    this.sweep();
    const mine = [...this.sessions].filter(([, s]) => s.principal.id === principal.id);
    mine.sort((a, b) => a[1].created - b[1].created);
    for (const [k] of mine.slice(0, Math.max(0, mine.length - this.perPrincipal + 1))) this.sessions.delete(k);
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    this.sessions.set(digest(id), { principal: { ...principal }, created: now, lastUsed: now });
    return { id, expiresAt: now + this.absoluteMs };
  }

  /** The live session `id` (its idle clock restarts), or null when unknown, expired or revoked. */
  lookup(id: string | undefined): SessionInfo | null {
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) return null;
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return null;
    const now = this.now();
    if (this.expired(s, now)) {
      this.sessions.delete(key);
      return null;
    }
    s.lastUsed = now;
    return { principal: s.principal, expiresAt: s.created + this.absoluteMs };
  }

  /** Logout: the session ends now. */
  revoke(id: string | undefined): boolean {
    if (typeof id !== 'string' || id.length === 0) return false;
    return this.sessions.delete(digest(id));
  }

  /** Live sessions (of one principal, or all). */
  count(principalId?: string): number {
    this.sweep();
    let n = 0;
    for (const s of this.sessions.values()) if (principalId === undefined || s.principal.id === principalId) n++;
    return n;
  }

  /** `Set-Cookie` value for session `id` on server port `port`: HttpOnly, SameSite=Strict, whole site. */
  cookie(port: number | string, id: string): string {
    return `${sessionCookieName(port)}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(this.absoluteMs / 1000)}`;
  }

  /** `Set-Cookie` value that removes the session cookie (logout). */
  clearCookie(port: number | string): string {
    return `${sessionCookieName(port)}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  private expired(s: Session, now: number): boolean {
    return now - s.lastUsed >= this.idleMs || now - s.created >= this.absoluteMs;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, s] of this.sessions) if (this.expired(s, now)) this.sessions.delete(k);
  }
}

/** Who a request acts for: set by the security middleware (HTTP) and the upgrade handler (WebSockets). */
const principals = new WeakMap<IncomingMessage, Principal>();

export function setPrincipal(req: IncomingMessage, p: Principal): void {
  principals.set(req, p);
}

/** The authenticated principal of `req`; a request that got past the checks always has one. */
export function principalOf(req: IncomingMessage): Principal {
  const p = principals.get(req);
  if (!p) throw new Error('request without a principal (the security middleware did not run)');
  return p;
}
