import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ringBuffer';

describe('RingBuffer', () => {
  it('keeps items oldest first until full', () => {
    const r = new RingBuffer<number>(3);
    r.push(1);
    r.push(2);
    expect(r.toArray()).toEqual([1, 2]);
    expect(r.length).toBe(2);
    expect(r.dropped).toBe(0);
    expect(r.at(0)).toBe(1);
    expect(r.at(2)).toBeUndefined();
  });

  it('drops the oldest beyond capacity (memory bounded)', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 10; i++) r.push(i);
    expect(r.toArray()).toEqual([8, 9, 10]);
    expect(r.length).toBe(3);
    expect(r.total).toBe(10);
    expect(r.dropped).toBe(7);
    expect([r.at(0), r.at(1), r.at(2), r.at(-1), r.at(3)]).toEqual([8, 9, 10, undefined, undefined]);
  });

  it('clear empties it and resets the counters', () => {
    const r = new RingBuffer<string>(2);
    r.push('a');
    r.push('b');
    r.push('c');
    r.clear();
    expect(r.toArray()).toEqual([]);
    expect(r.total).toBe(0);
    r.push('d');
    expect(r.toArray()).toEqual(['d']);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });
});
