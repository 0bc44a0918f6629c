/**
 * Per-principal quotas (issue #13 item 12): how many tool commands (exec, path, reachability pings),
 * terminals, captures and WebSockets one principal may hold at once. Beyond its quota a request is answered
 * 429 `TooManyRequests` with a message naming the quota; the server-wide caps stay where they are.
 * Pure counting: callers acquire a slot and release it when the work or the socket ends.
 */
import { AppError } from '../errors';
import type { Principal } from './sessions';

export const QUOTAS = { exec: 8, terminals: 8, captures: 4, sockets: 64 } as const;
export type QuotaKind = keyof typeof QUOTAS;
export type QuotaLimits = Record<QuotaKind, number>;

const WHAT: Record<QuotaKind, string> = {
  exec: 'tool commands running at once',
  terminals: 'terminals open',
  captures: 'captures running',
  sockets: 'WebSockets open',
};

export class Quotas {
  private readonly used = new Map<string, number>();

  constructor(readonly limits: QuotaLimits = { ...QUOTAS }) {}

  private key(p: Principal, kind: QuotaKind): string {
    return `${kind}\u0000${p.id}`;
  }

  inUse(p: Principal, kind: QuotaKind): number {
    return this.used.get(this.key(p, kind)) ?? 0;
  }

  free(p: Principal, kind: QuotaKind): number {
    return Math.max(0, this.limits[kind] - this.inUse(p, kind));
  }

  /**
   * Takes `n` slots of `kind` for `p`, or throws 429 naming the quota. The returned release is idempotent
   * (a socket's close and error may both call it).
   */
  acquire(p: Principal, kind: QuotaKind, n = 1): () => void {
    const k = this.key(p, kind);
    const used = this.used.get(k) ?? 0;
    if (used + n > this.limits[kind])
      throw new AppError(
        'TooManyRequests',
        `quota "${kind}" reached: at most ${this.limits[kind]} ${WHAT[kind]} per user (${p.label}); close one or wait, then try again`,
      );
    this.used.set(k, used + n);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.used.get(k) ?? 0) - n;
      if (left > 0) this.used.set(k, left);
      else this.used.delete(k);
    };
  }
}
