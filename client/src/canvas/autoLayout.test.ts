import { describe, expect, it } from 'vitest';
import type { Lab } from '../../../shared/lab';
import { makeBridge, makeEndpoint, makeLab, makeNamespace, makeVeth } from '../testing/factories';
import { autoLayout, badness } from './autoLayout';

const chain = (): Lab =>
  makeLab({
    nodes: ['a', 'b', 'c'].map((id) => makeNamespace(id)),
    links: [
      makeVeth('ab', makeEndpoint('a', 'a0'), makeEndpoint('b', 'b0')),
      makeVeth('bc', makeEndpoint('b', 'b1'), makeEndpoint('c', 'c0')),
    ],
  });
const star = (n: number): Lab =>
  makeLab({
    nodes: [makeBridge('hub', 'br0'), ...Array.from({ length: n }, (_, i) => makeNamespace(`s${i}`))],
    links: Array.from({ length: n }, (_, i) =>
      makeVeth(`l${i}`, makeEndpoint('hub', `br0-p${i}`), makeEndpoint(`s${i}`, 'eth0')),
    ),
  });
const graphOf = (lab: Lab) => ({
  ids: lab.nodes.map((n) => n.id),
  sizes: new Map(lab.nodes.map((n) => [n.id, { width: 230, height: 100 }])),
  edges: lab.links.map((l) => [l.endpoints[0].node, l.endpoints[1].node] as [string, string]),
});
const extent = (pos: Record<string, { x: number; y: number }>) => {
  const xs = Object.values(pos).map((p) => p.x);
  const ys = Object.values(pos).map((p) => p.y);
  return { w: Math.max(...xs) - Math.min(...xs) + 230, h: Math.max(...ys) - Math.min(...ys) + 100 };
};

describe('autoLayout', () => {
  it('a chain goes the way the canvas is longer (down on a square canvas, across on a wide one)', async () => {
    const square = await autoLayout(chain(), new Map(), { width: 800, height: 800 });
    expect(extent(square).h).toBeGreaterThan(extent(square).w);
    const wide = await autoLayout(chain(), new Map(), { width: 2400, height: 500 });
    expect(extent(wide).w).toBeGreaterThan(extent(wide).h);
    expect(badness(graphOf(chain()), square)).toBe(0);
  });

  it('a star of eight: no straight link crosses another or runs through a node', async () => {
    const lab = star(8);
    const pos = await autoLayout(lab, new Map(), { width: 900, height: 800 });
    expect(badness(graphOf(lab), pos)).toBe(0);
  });

  it('badness counts a link through a node and two crossing links', () => {
    const g = {
      ids: ['a', 'b', 'c', 'd'],
      sizes: new Map(['a', 'b', 'c', 'd'].map((id) => [id, { width: 10, height: 10 }])),
      edges: [
        ['a', 'b'],
        ['c', 'd'],
      ] as [string, string][],
    };
    // a—b horizontal through the middle; c—d vertical through it: one crossing.
    expect(badness(g, { a: { x: 0, y: 50 }, b: { x: 100, y: 50 }, c: { x: 50, y: 0 }, d: { x: 50, y: 100 } })).toBe(1);
    // c sits on a—b: a—b goes through c (c—d leaves upwards: no crossing).
    expect(badness(g, { a: { x: 0, y: 50 }, b: { x: 100, y: 50 }, c: { x: 45, y: 45 }, d: { x: 45, y: -200 } })).toBe(
      1,
    );
  });

  it('a bridge inside a namespace keeps its offset in it', async () => {
    const lab = makeLab({
      nodes: [makeNamespace('sw'), makeBridge('br', 'sw0', { namespace: 'sw' } as never), makeNamespace('h1')],
      links: [makeVeth('l', makeEndpoint('h1', 'eth0'), makeEndpoint('br', 'sw0-p1'))],
    });
    const pos = await autoLayout(lab, new Map(), undefined, { sw: { x: 500, y: 500 }, br: { x: 530, y: 640 } });
    expect({ x: pos.br!.x - pos.sw!.x, y: pos.br!.y - pos.sw!.y }).toEqual({ x: 30, y: 140 });
  });
});
