/**
 * What an operation's result says to a person: one honest line about the state the host is in, and whether
 * recover is really needed. Pure (no React, no store); the result banner renders it.
 */
import type { OperationResult } from '../../../shared/api';

export interface ResultSummary {
  /** The headline after "Apply failed" / "Destroy succeeded". */
  text: string;
  /** The engine holds a journal it could not undo: offer recover (POST /api/recover). */
  recover: boolean;
  /** A destroy stopped part-way: running it again finishes it (destroy converges). */
  destroyAgain: boolean;
}

/** Engine error codes that leave an interrupted change behind, which only recover clears. */
const NEEDS_RECOVER = new Set(['RecoveryRequired', 'RollbackFailed']);

export function resultSummary(r: OperationResult): ResultSummary {
  const plain = (text: string): ResultSummary => ({ text, recover: false, destroyAgain: false });
  if (r.ok) {
    if (r.action === 'recover') return plain('nothing is left half-done: applies may run again');
    if (r.ran === 0) return plain('nothing to do — the host already matched');
    return plain(`${r.ran} operation${r.ran > 1 ? 's' : ''} in ${(r.durationMs / 1000).toFixed(1)} s`);
  }
  const e = r.error;
  if (e && NEEDS_RECOVER.has(e.code))
    return {
      text:
        e.code === 'RollbackFailed'
          ? 'the rollback failed: the host may be half-changed — recover undoes what is left'
          : 'an earlier change was left half-done: recover it before anything else runs',
      recover: true,
      destroyAgain: false,
    };
  if (e?.code === 'Bug') return plain('an internal error stopped it (see the server log); Plan shows what differs');
  if (e?.rolledBack) return plain('everything that ran was rolled back: the host is as it was');
  if (r.ran === 0) return plain('refused before anything ran: nothing was changed on the host');
  if (r.action === 'destroy')
    return {
      text: `stopped after ${r.ran} operations: run Destroy again to finish`,
      recover: false,
      destroyAgain: true,
    };
  return {
    text: `${r.ran} operations ran and were not rolled back: recover undoes them`,
    recover: true,
    destroyAgain: false,
  };
}
