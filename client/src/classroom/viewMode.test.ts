import { describe, expect, it } from 'vitest';
import { rewritePath, viewFromSearch } from './viewMode';

describe('read-only view of a student', () => {
  it('routes the page’s /api and /ws to the student’s world, and nothing else', () => {
    expect(rewritePath('/api/labs/x', 'alice')).toBe('/classroom/view/alice/api/labs/x');
    expect(rewritePath('/ws', 'alice')).toBe('/classroom/view/alice/ws');
    expect(rewritePath('/ws/term?node=red', 'alice')).toBe('/classroom/view/alice/ws/term?node=red');
    expect(rewritePath('/api/classroom', 'alice')).toBe('/api/classroom');
    expect(rewritePath('/apix', 'alice')).toBe('/apix');
    expect(rewritePath('/assets/a.js', 'alice')).toBe('/assets/a.js');
  });
  it('reads the view from the URL', () => {
    expect(viewFromSearch('?view=student&student=bob&name=Bob%20B')).toEqual({ student: 'bob', label: 'Bob B' });
    expect(viewFromSearch('?view=student&student=bob')).toEqual({ student: 'bob', label: 'bob' });
    expect(viewFromSearch('?view=classroom')).toBeNull();
    expect(viewFromSearch('')).toBeNull();
  });
});
