import { describe, expect, it } from 'vitest';
import { ndjsonReader } from './ndjson';

describe('ndjsonReader', () => {
  it('joins lines split across chunks, splits chunks holding several lines, skips what is not JSON', () => {
    const got: unknown[] = [];
    const feed = ndjsonReader((m) => got.push(m));
    feed(Buffer.from('{"a":1}\n{"b":'));
    expect(got).toEqual([{ a: 1 }]);
    feed(Buffer.from('[2,'));
    feed(Buffer.from('3]}\nnot json\n{"c":"é"}\n{"d"'));
    expect(got).toEqual([{ a: 1 }, { b: [2, 3] }, { c: 'é' }]);
    feed(Buffer.from(':4}\n'));
    expect(got).toEqual([{ a: 1 }, { b: [2, 3] }, { c: 'é' }, { d: 4 }]);
  });

  it('a multi-byte character split between chunks arrives whole', () => {
    const got: { s: string }[] = [];
    const feed = ndjsonReader<{ s: string }>((m) => got.push(m));
    const bytes = Buffer.from('{"s":"€"}\n');
    feed(bytes.subarray(0, 7));
    feed(bytes.subarray(7));
    expect(got).toEqual([{ s: '€' }]);
  });
});
