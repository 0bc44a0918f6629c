import { describe, expect, it } from 'vitest';
import type { OperationResult } from '../../../shared/api';
import { resultSummary } from './resultText';

const base: OperationResult = { operationId: 'o', lab: 'l', action: 'apply', ok: false, ran: 0, durationMs: 5 };
const err = (code: string, rolledBack = false) => ({ code, message: 'm', rolledBack });

describe('resultSummary', () => {
  it('a plan refused before anything ran says the host is unchanged, and offers no recover', () => {
    const s = resultSummary({ ...base, error: err('Unsupported') });
    expect(s.text).toContain('nothing was changed on the host');
    expect(s.text).not.toContain('recover');
    expect(s.recover).toBe(false);
  });

  it('a failure that was rolled back says so', () => {
    const s = resultSummary({ ...base, ran: 7, error: err('HostCommandFailed', true) });
    expect(s.text).toContain('rolled back');
    expect(s.recover).toBe(false);
  });

  it('offers recover only when the engine needs it', () => {
    expect(resultSummary({ ...base, error: err('RecoveryRequired') }).recover).toBe(true);
    expect(resultSummary({ ...base, ran: 3, error: err('RollbackFailed') }).recover).toBe(true);
    expect(resultSummary({ ...base, ran: 0, error: err('Conflict') }).recover).toBe(false);
    expect(resultSummary({ ...base, ran: 0, error: err('InvalidLab') }).recover).toBe(false);
  });

  it('a destroy that stopped part-way suggests running it again', () => {
    const s = resultSummary({ ...base, action: 'destroy', ran: 4, error: err('HostCommandFailed') });
    expect(s.destroyAgain).toBe(true);
    expect(s.recover).toBe(false);
  });

  it('successes: a no-op, a count, a recovery', () => {
    expect(resultSummary({ ...base, ok: true }).text).toContain('nothing to do');
    expect(resultSummary({ ...base, ok: true, ran: 2, durationMs: 1500 }).text).toBe('2 operations in 1.5 s');
    expect(resultSummary({ ...base, ok: true, action: 'recover', lab: '*' }).text).toContain('nothing is left');
  });
});
