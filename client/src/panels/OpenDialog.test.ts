import { describe, expect, it } from 'vitest';
import { LabName } from '../../../shared/lab';
import { freeName, slugOf } from './OpenDialog';

describe('lab names from titles', () => {
  it('slugOf makes a valid lab name of a title, or nothing', () => {
    expect(slugOf('Class A — Routing!')).toBe('class-a-routing');
    expect(slugOf('  2nd lab ')).toBe('nd-lab'); // a lab name starts with a letter
    expect(slugOf('Überlänge')).toBe('uberlange');
    expect(slugOf('???')).toBe('');
    const long = slugOf('a very long title that goes on and on and on');
    expect(long.length).toBeLessThanOrEqual(32);
    for (const s of ['class-a-routing', 'nd-lab', 'uberlange', long]) expect(LabName.safeParse(s).success).toBe(true);
  });

  it('freeName adds -2, -3… within 32 characters', () => {
    expect(freeName('lab', new Set())).toBe('lab');
    expect(freeName('lab', new Set(['lab', 'lab-2']))).toBe('lab-3');
    const stem = 'x'.repeat(32);
    expect(freeName(stem, new Set([stem]))).toBe(`${'x'.repeat(30)}-2`);
  });
});
