import { describe, expect, it } from 'vitest';
import { edgeGeometry } from './edgeGeometry';

const box = (x: number, y: number) => ({ x, y, width: 200, height: 80 });
const end = (ifname: string) => ({ ifname, addresses: ['10.0.0.1/24'] });
/** Distance from a point to the line through p and q. */
const off = (g: ReturnType<typeof edgeGeometry>, i: 0 | 1) => {
  const { p, q } = g;
  const l = g.labels[i];
  return Math.abs((q.x - p.x) * (p.y - l.y) - (p.x - l.x) * (q.y - p.y)) / Math.hypot(q.x - p.x, q.y - p.y);
};

describe('edgeGeometry', () => {
  it('a long link: the line runs border to border, each label on it, clear of its node', () => {
    const g = edgeGeometry(box(0, 0), box(600, 0), [end('veth-red'), end('veth-blue')]);
    expect(g.p).toEqual({ x: 200, y: 40 });
    expect(g.q).toEqual({ x: 600, y: 40 });
    expect(g.compact).toBe(false);
    expect([off(g, 0), off(g, 1)]).toEqual([0, 0]);
    expect(g.labels[0].x).toBeGreaterThan(240); // half a label (≈45 px) past the border
    expect(g.labels[1].x).toBeLessThan(560);
  });

  it('too short for both labels: they step off the line to opposite sides, the middle too', () => {
    const g = edgeGeometry(box(0, 0), box(300, 0), [end('a-long-name0'), end('b-long-name0')]);
    expect(g.compact).toBe(true);
    expect(g.labels[0].y).toBeLessThan(40);
    expect(g.labels[1].y).toBeGreaterThan(40);
    expect(g.mid.y).not.toBe(40);
  });
});
