/**
 * WHO is asking (classroom mode), before the request reaches a world. A token (Bearer header, or `?token=` on
 * a page load, which the world then exchanges for a session) names its principal here; a session cookie is
 * resolved by `sessionResolver`: the classroom front door asks the teacher's app and each student world's
 * `Security.sessions` (the hardened session model, `server/api/sessions.ts`), so a session id minted by one
 * student's world never opens another's. Tokens are never accepted as cookie values.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PrincipalRole } from '../../shared';

export interface Principal {
  id: string;
  role: PrincipalRole;
  label: string;
}

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The token a request presents: Bearer, else (GET/HEAD page loads and upgrades) `?token=`. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const bearer = auth === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (bearer) return bearer[1];
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

  /** Who a session cookie belongs to (set by the front door: the worlds' session stores). */
  sessionResolver: ((req: IncomingMessage) => Principal | null) | null = null;

  /** The principal of a request, or null (unknown token, or none: the request goes on to be refused). */
  principalOf(req: IncomingMessage): Principal | null {
    const token = presentedToken(req);
    if (token !== undefined) return this.principalOfToken(token);
    return this.sessionResolver?.(req) ?? null;
  }
}
