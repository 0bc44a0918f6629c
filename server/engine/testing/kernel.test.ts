import { describe, expect, it } from 'vitest';
import { pingAvailable } from './kernel';

describe('pingAvailable (kernel tests never pass a traffic check by absence)', () => {
  it('is true when ping is installed, whatever CI says', () => {
    expect(pingAvailable({ CI: 'true' }, (p) => p === '/bin/ping')).toBe(true);
  });
  it('is false without ping outside CI', () => {
    expect(pingAvailable({}, () => false)).toBe(false);
  });
  it('throws without ping under CI=true', () => {
    expect(() => pingAvailable({ CI: 'true' }, () => false)).toThrow(/ping .* required .*CI=true/);
  });
});
