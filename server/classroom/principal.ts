/**
 * WHO is asking (classroom mode). THE swap point for the hardened session model of issue #13 item 5
 * (`server/api/sessions.ts`, built elsewhere): there every request carries `res.locals.principal`, and
 * `registerToken(token, principal)` / `revokePrincipal(id)` map per-student links to student principals.
 * Until that lands, this registry is it: a token (Bearer header, the `netloom_token` cookie, or `?token=` on
 * a page load or WebSocket upgrade) → its principal. Same shape, so the coordinator can back `principalOf`
 * by the sessions registry at merge and delete the map below.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PrincipalRole } from '../../shared';
import { readCookie, TOKEN_COOKIE } from '../api/security';

export interface Principal {
  id: string;
  role: PrincipalRole;
  label: string;
}

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The token a request presents: Bearer, else cookie, else (GET/HEAD page loads and upgrades) `?token=`. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth) return /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
  const cookie = readCookie(req.headers.cookie, TOKEN_COOKIE);
  if (cookie) return cookie;
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  return q ?? undefined;
}

export class PrincipalRegistry {
  /** sha256(token) → principal: tokens themselves are not kept as keys, and lookups take equal time. */
  private readonly byDigest = new Map<string, Principal>();

  registerToken(token: string, principal: Principal): void {
    this.byDigest.set(digest(token), principal);
  }

  /** Every token of principal `id` stops working at once (its open sockets are the caller's to close). */
  revokePrincipal(id: string): void {
    for (const [k, p] of this.byDigest) if (p.id === id) this.byDigest.delete(k);
  }

  principalOfToken(token: string | undefined): Principal | null {
    if (!token) return null;
    return this.byDigest.get(digest(token)) ?? null;
  }

  /** The principal of a request, or null (unknown token, or none: the request goes on to be refused). */
  principalOf(req: IncomingMessage): Principal | null {
    return this.principalOfToken(presentedToken(req));
  }
}
