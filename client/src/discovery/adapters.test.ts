import { describe, expect, it } from 'vitest';
import type { FieldDiff } from '../../../shared/discovery';
import { makeVethPair } from '../testing/factories';
import {
  adoptableIds,
  anchorOf,
  applyPatch,
  contentKey,
  extraLabel,
  graphOf,
  isTaken,
  placeNew,
  previewAdoption,
  proposeLabName,
  sameHostEdge,
  sameHostNode,
  searchMatches,
  share,
  toHostFlow,
  unplaced,
} from './adapters';
import { makeDiscovery } from './fixtures';

const everywhere = (ids: string[]) => Object.fromEntries(ids.map((id, i) => [id, { x: i * 300, y: 0 }]));

describe('toHostFlow', () => {
  it('draws namespaces and bridges as nodes, veths as edges, extras as labelled stubs with their anchors', () => {
    const d = makeDiscovery();
    const { nodes, edges } = toHostFlow(d, { positions: everywhere(graphOf(d).ids) });
    expect(nodes.map((n) => [n.id, n.type])).toEqual([
      ['red', 'namespace'],
      ['blue', 'namespace'],
      ['ns-green', 'namespace'],
      ['br-br0', 'bridge'],
      ['x-host-mv0', 'extra'],
      ['x-pid1234', 'extra'],
      ['x-pid1234-vp1', 'extra'],
      ['x-host-vp0', 'extra'],
    ]);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    expect(byId.get('x-host-mv0')!.data).toMatchObject({ label: 'macvlan on br0', extraKind: 'macvlan' });
    expect(byId.get('x-pid1234')!.data.label).toBe('pid 1234 (sleep)');
    expect(edges.map((e) => e.id)).toEqual([
      'l1',
      'veth-vg0-vg1',
      'stub:x-host-mv0', // macvlan → the bridge it sits on
      'stub:x-pid1234-vp1', // interface inside a process-held namespace → that namespace's stub
      'peer:x-pid1234-vp1:x-host-vp0', // veth ends among extras, once
    ]);
    expect(edges.find((e) => e.id === 'stub:x-host-mv0')).toMatchObject({ source: 'br-br0', target: 'x-host-mv0' });
  });

  it('owned objects keep the normal (ready) colours with their lab; foreign ones are neutral', () => {
    const d = makeDiscovery();
    const { nodes, edges } = toHostFlow(d, { positions: everywhere(graphOf(d).ids) });
    const red = nodes.find((n) => n.id === 'red')!;
    const green = nodes.find((n) => n.id === 'ns-green')!;
    expect(red.data).toMatchObject({ state: 'ready', ownership: 'owned', owner: 'veth-pair' });
    expect(red.data.detail).toContain('veth-pair');
    expect(green.data).toMatchObject({ state: 'absent', ownership: 'foreign' });
    expect(green.data.owner).toBeUndefined();
    const l1 = edges.find((e) => e.id === 'l1')!;
    expect(l1.type === 'veth' && l1.data!.state).toBe('ready');
    expect(l1.type === 'veth' && l1.data!.ends[0].operstate).toBe('UP');
  });

  it('draws only placed nodes (new ones appear once laid out) and marks the selection', () => {
    const d = makeDiscovery();
    const { nodes, edges } = toHostFlow(d, {
      positions: { red: { x: 0, y: 0 }, blue: { x: 300, y: 0 } },
      selection: ['blue', 'l1'],
      endpoint: 'l1#0',
    });
    expect(nodes.map((n) => [n.id, n.selected])).toEqual([
      ['red', false],
      ['blue', true],
    ]);
    expect(edges).toHaveLength(1);
    expect(edges[0]!.selected).toBe(true);
    expect(edges[0]!.type === 'veth' && edges[0]!.data!.ends[0].selected).toBe(true);
  });

  it('handles an empty host', () => {
    const d = makeDiscovery({ lab: { version: 1, name: 'host', nodes: [], links: [] }, extras: [], objects: {} });
    expect(toHostFlow(d, { positions: {} })).toEqual({ nodes: [], edges: [] });
  });
});

describe('search', () => {
  it('dims what does not match (names, kernel names, addresses, owner) and lists matches in order', () => {
    const d = makeDiscovery();
    const positions = everywhere(graphOf(d).ids);
    const { nodes, edges } = toHostFlow(d, { positions, query: 'RED' });
    expect(searchMatches(nodes, 'RED')).toEqual(['red']);
    expect(nodes.find((n) => n.id === 'blue')!.className).toBe('hv-dim');
    expect(edges.find((e) => e.id === 'l1')!.className).toBeUndefined(); // one end matches
    const byAddr = toHostFlow(d, { positions, query: '192.168.50' }).nodes;
    expect(searchMatches(byAddr, '192.168.50')).toEqual(['ns-green']);
    const byOwner = toHostFlow(d, { positions, query: 'veth-pair' }).nodes;
    expect(searchMatches(byOwner, 'veth-pair')).toEqual(['red', 'blue']);
    const byStub = toHostFlow(d, { positions, query: 'sleep' }).nodes;
    expect(searchMatches(byStub, 'sleep')).toEqual(['x-pid1234']);
    expect(searchMatches(nodes, '  ')).toEqual([]);
  });
});

describe('content key and structural sharing', () => {
  it('ignores `at` and timing; changes with content', () => {
    const a = makeDiscovery();
    const b = makeDiscovery({ at: '2026-11-24T19:00:02.000Z', durationMs: 99 });
    expect(contentKey(a)).toBe(contentKey(b));
    const c = makeDiscovery();
    c.lab.links[0]!.endpoints[0].addresses = ['10.0.0.9/24'];
    expect(contentKey(c)).not.toBe(contentKey(a));
  });

  it('keeps unchanged nodes and edges identical across recomputations', () => {
    const d = makeDiscovery();
    const positions = everywhere(graphOf(d).ids);
    const first = toHostFlow(d, { positions });
    const n1 = share(new Map(), first.nodes, sameHostNode);
    const e1 = share(new Map(), first.edges, sameHostEdge);
    const again = toHostFlow(makeDiscovery(), { positions, selection: ['blue'] });
    const n2 = share(n1.byId, again.nodes, sameHostNode);
    const e2 = share(e1.byId, again.edges, sameHostEdge);
    const changed = n2.list.filter((n, i) => n !== n1.list[i]).map((n) => n.id);
    expect(changed).toEqual(['blue']);
    expect(e2.list.every((e, i) => e === e1.list[i])).toBe(true);
    expect(share(n2.byId, n2.list, sameHostNode).changed).toBe(false);
  });
});

describe('stable positions', () => {
  const anchors = new Map([['x-new', 'red']]);
  it('lists unplaced ids; the first layout is used as it is', () => {
    expect(unplaced(['a', 'b'], { a: { x: 1, y: 1 } })).toEqual(['b']);
    expect(placeNew({}, [], ['a', 'b'], { a: { x: 5, y: 6 }, b: { x: 300, y: 6 } }, new Map())).toEqual({
      a: { x: 5, y: 6 },
      b: { x: 300, y: 6 },
    });
  });

  it('never moves known nodes; stubs go beside their anchor, other newcomers below everything', () => {
    const known = { red: { x: 100, y: 50 }, blue: { x: 500, y: 300 } };
    const out = placeNew(
      known,
      ['red', 'blue'],
      ['x-new', 'ns-a', 'ns-b'],
      { 'x-new': { x: 0, y: 0 }, 'ns-a': { x: 40, y: 20 }, 'ns-b': { x: 340, y: 20 } },
      anchors,
      () => ({ width: 240, height: 100 }),
    );
    expect(Object.keys(out).sort()).toEqual(['ns-a', 'ns-b', 'x-new']);
    expect(out['x-new']).toEqual({ x: 100 + 240 + 60, y: 50 });
    // Below the lowest known node (300 + 100), keeping ELK's relative arrangement, aligned on the left edge.
    expect(out['ns-a']).toEqual({ x: 100, y: 300 + 100 + 120 });
    expect(out['ns-b']).toEqual({ x: 400, y: 520 });
    expect(out.red).toBeUndefined();
  });

  it('stacks several stubs of one anchor', () => {
    const out = placeNew(
      { red: { x: 0, y: 0 } },
      ['red'],
      ['s1', 's2'],
      {},
      new Map([
        ['s1', 'red'],
        ['s2', 'red'],
      ]),
    );
    expect(out.s1!.y).toBeLessThan(out.s2!.y);
    expect(out.s1!.x).toBe(out.s2!.x);
  });

  it('graphOf gives every drawn id and the layout edges (veths + stub anchors)', () => {
    const g = graphOf(makeDiscovery());
    expect(g.ids).toHaveLength(8);
    expect(g.edges).toContainEqual(['br-br0', 'x-host-mv0']);
    expect(g.anchors.get('x-pid1234-vp1')).toBe('x-pid1234');
    expect(anchorOf(makeDiscovery().extras[3]!, makeDiscovery())).toBeUndefined();
  });
});

describe('adoption preview', () => {
  it('pulls in the nodes of a selected veth and flags objects of another lab', () => {
    const d = makeDiscovery();
    const p = previewAdoption(d, ['l1']);
    expect(p.select).toEqual(['l1', 'red', 'blue']);
    expect(p.added).toEqual(['red', 'blue']);
    expect(p.refused.map((r) => r.id)).toEqual(['l1#0', 'l1#1', 'red', 'blue']);
    expect(p.refused[0]!.what).toMatch(/already belongs to lab 'veth-pair'/);
  });

  it('foreign objects are adoptable; extras are left out of the request; veth ends map to their link', () => {
    const d = makeDiscovery();
    const p = previewAdoption(d, ['veth-vg0-vg1#1', 'x-host-mv0']);
    expect(p.select).toEqual(['veth-vg0-vg1', 'br-br0', 'ns-green']);
    expect(p.refused).toEqual([]);
    expect(p.skipped.map((s) => s.id)).toEqual(['x-host-mv0']);
    expect(p.warnings.join()).toMatch(/cannot be expressed/);
    expect(p.mark.map((m) => m.what)).toContain("bridge 'br0'");
  });

  it('select all = every lab node and link; name proposals avoid taken names', () => {
    expect(adoptableIds(makeDiscovery())).toEqual(['red', 'blue', 'ns-green', 'br-br0', 'l1', 'veth-vg0-vg1']);
    expect(proposeLabName(new Set())).toBe('adopted');
    expect(proposeLabName(new Set(['adopted', 'adopted-2']))).toBe('adopted-3');
  });

  it('labels extras readably', () => {
    const [mv, ns, vp1] = makeDiscovery().extras;
    expect(extraLabel(mv!)).toEqual({ label: 'macvlan on br0', detail: 'mv0 10.9.9.1/24' });
    expect(extraLabel(ns!).label).toBe('pid 1234 (sleep)');
    expect(extraLabel(vp1!)).toEqual({ label: 'vp1', detail: 'peer vp0' });
  });
});

describe('diff: take the live value', () => {
  const field = (over: Partial<FieldDiff> = {}): FieldDiff => ({
    field: 'addresses',
    design: ['10.0.0.1/30'],
    live: ['10.0.0.9/30'],
    changedBy: 'host',
    patch: { path: ['links', 0, 'endpoints', 0, 'addresses'], value: ['10.0.0.9/30'] },
    ...over,
  });

  it('applies the patch purely and then reads as taken', () => {
    const lab = makeVethPair();
    const next = applyPatch(lab, { id: 'l1#0' }, field());
    if ('error' in next) throw new Error(next.error);
    expect(next.links[0]!.endpoints[0].addresses).toEqual(['10.0.0.9/30']);
    expect(lab.links[0]!.endpoints[0].addresses).toEqual(['10.0.0.1/30']); // untouched
    expect(isTaken(lab, field())).toBe(false);
    expect(isTaken(next, field())).toBe(true);
  });

  it('node fields too (forwarding)', () => {
    const next = applyPatch(
      makeVethPair(),
      { id: 'blue' },
      field({ field: 'forwarding', patch: { path: ['nodes', 1, 'forwarding'], value: true } }),
    );
    expect('error' in next ? null : next.nodes[1]).toMatchObject({ id: 'blue', forwarding: true });
  });

  it('refuses when the lab changed under the diff, or the field cannot be expressed', () => {
    expect(
      applyPatch(makeVethPair(), { id: 'red' }, field({ patch: { path: ['nodes', 1, 'forwarding'], value: true } })),
    ).toEqual({
      error: expect.stringMatching(/refresh/),
    });
    expect(applyPatch(makeVethPair(), { id: 'l1#0' }, field({ patch: null }))).toEqual({
      error: expect.stringMatching(/cannot be expressed/),
    });
  });

  it('compares address lists as sets', () => {
    const lab = makeVethPair();
    lab.links[0]!.endpoints[0].addresses = ['b/1', 'a/1'];
    expect(
      isTaken(lab, field({ patch: { path: ['links', 0, 'endpoints', 0, 'addresses'], value: ['a/1', 'b/1'] } })),
    ).toBe(true);
  });
});
