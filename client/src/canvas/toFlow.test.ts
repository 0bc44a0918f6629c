import { describe, expect, it } from 'vitest';
import type { ObjectStatus } from '../../../shared/status';
import { problemsOf } from '../store/selectors';
import { makeBridge, makeVethPair } from '../testing/factories';
import {
  absolutePositions,
  liveAddresses,
  NEST_PAD,
  nestTop,
  sameAttachEdge,
  sameEdgeView,
  sameNodeView,
  toFlow,
} from './toFlow';

const layout = { version: 1 as const, positions: { red: { x: 1, y: 2 } }, notes: [] };
const st = (id: string, state: ObjectStatus['state'], extra: Partial<ObjectStatus> = {}): ObjectStatus => ({
  id,
  state,
  conditions: [],
  ...extra,
});

describe('design vs live addresses', () => {
  it('labels keep the design; the host is marked live only where it differs (link-local aside)', () => {
    expect(liveAddresses(['10.0.0.1/30'], st('x', 'ready', { addresses: ['10.0.0.1/30', 'fe80::1/64'] }))).toBe(
      undefined,
    );
    expect(liveAddresses(['10.0.0.1/30'], st('x', 'drifted', { addresses: ['10.0.0.1/30', '10.0.0.9/30'] }))).toEqual([
      '10.0.0.1/30',
      '10.0.0.9/30',
    ]);
    expect(liveAddresses(['10.0.0.1/30'], st('x', 'drifted', { addresses: [] }))).toEqual([]);
    expect(liveAddresses(['10.0.0.1/30'], st('x', 'conflict', { addresses: ['1.2.3.4/8'] }))).toBe(undefined);
    expect(liveAddresses(['10.0.0.1/30'], undefined)).toBe(undefined);
    const status = { 'l1#0': st('l1#0', 'drifted', { addresses: ['10.0.0.7/30'] }) };
    const { edges, nodes } = toFlow(makeVethPair(), layout, status, new Map());
    expect(edges[0]!.data!.ends[0]).toMatchObject({ addresses: ['10.0.0.1/30'], live: ['10.0.0.7/30'] });
    expect(edges[0]!.data!.ends[1]!.live).toBeUndefined();
    expect(nodes[0]!.data.ifaces[0]).toMatchObject({ addresses: ['10.0.0.1/30'], live: ['10.0.0.7/30'] });
  });
});

describe('a bridge inside a namespace (sub flow)', () => {
  const lab = () => {
    const l = makeVethPair();
    l.nodes.push(makeBridge('br', 'br0', { namespace: 'red' } as never));
    return l;
  };
  const lay = { version: 1 as const, positions: { red: { x: 100, y: 100 }, br: { x: 130, y: 400 } }, notes: [] };

  it('is a child of its namespace, placed relative to it and below its rows; the namespace grows around it', () => {
    const { nodes } = toFlow(lab(), lay, {}, new Map(), undefined, {}, new Map([['br', { width: 180, height: 60 }]]));
    const br = nodes.find((n) => n.id === 'br')!;
    const red = nodes.find((n) => n.id === 'red')!;
    expect(br).toMatchObject({ parentId: 'red', position: { x: 30, y: 300 } });
    expect(nodes.indexOf(red)).toBeLessThan(nodes.indexOf(br)); // parents first
    expect(red.data.container).toBe(true);
    expect(red.style).toEqual({ width: 260, height: 300 + 60 + NEST_PAD });
    // Never above the namespace's own rows, nor left of its edge.
    const high = { ...lay, positions: { ...lay.positions, br: { x: 0, y: 90 } } };
    const b2 = toFlow(lab(), high, {}, new Map()).nodes.find((n) => n.id === 'br')!;
    expect(b2.position).toEqual({ x: NEST_PAD, y: nestTop(red.data) });
  });

  it('moves: a dragged child is stored absolute; a dragged namespace takes its bridges along', () => {
    expect(absolutePositions(lab(), lay, { br: { x: 40, y: 310 } })).toEqual({ br: { x: 140, y: 410 } });
    expect(absolutePositions(lab(), lay, { red: { x: 150, y: 90 } })).toEqual({
      red: { x: 150, y: 90 },
      br: { x: 180, y: 390 },
    });
    // A bridge in the root, or in a namespace that is not there: nothing to do.
    expect(absolutePositions(makeVethPair(), lay, { red: { x: 0, y: 0 } })).toEqual({ red: { x: 0, y: 0 } });
  });
});

describe('toFlow', () => {
  it('maps nodes and veths to view objects with positions and default absent state', () => {
    const { nodes, edges } = toFlow(makeVethPair(), layout, {}, new Map());
    expect(nodes.map((n) => [n.id, n.type, n.data.state])).toEqual([
      ['red', 'namespace', 'absent'],
      ['blue', 'namespace', 'absent'],
    ]);
    expect(nodes[0]!.position).toEqual({ x: 1, y: 2 });
    expect(nodes[1]!.position).toBeDefined();
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({ id: 'l1', type: 'veth', source: 'red', target: 'blue' });
    expect(edges[0]!.data!.ends.map((e) => e.ifname)).toEqual(['red-eth0', 'blue-eth0']);
    expect(nodes[0]!.data.ifaces).toEqual([
      expect.objectContaining({ key: 'l1#0', ifname: 'red-eth0', addresses: ['10.0.0.1/30'] }),
    ]);
  });

  it('carries live status: state, operstate, rates, drift message', () => {
    const status = {
      red: st('red', 'ready'),
      blue: st('blue', 'drifted', {
        conditions: [
          { type: 'Drifted', status: true, reason: 'AddressMissing', message: 'address 10.0.0.2/30 missing' },
        ],
      }),
      l1: st('l1', 'ready'),
      'l1#0': st('l1#0', 'ready', { operstate: 'UP', rates: { rxBps: 100, txBps: 50 } }),
    };
    const { nodes, edges } = toFlow(makeVethPair(), layout, status, new Map());
    expect(nodes[0]!.data.state).toBe('ready');
    expect(nodes[1]!.data).toMatchObject({ state: 'drifted', message: 'address 10.0.0.2/30 missing' });
    expect(edges[0]!.data).toMatchObject({ state: 'ready', rate: { rxBps: 100, txBps: 50 } });
    expect(edges[0]!.data!.ends[0].operstate).toBe('UP');
  });

  it('puts validation problems on the endpoint, its link and its node', () => {
    const lab = makeVethPair();
    lab.links[0]!.endpoints[1].ifname = 'a;b';
    const { nodes, edges } = toFlow(lab, layout, {}, problemsOf(lab).byObject);
    expect(edges[0]!.data!.ends[1].error).toMatch(/interface name/);
    expect(edges[0]!.data!.error).toMatch(/interface name/);
    expect(nodes[1]!.data.ifaces[0]!.error).toMatch(/interface name/);
  });

  it('marks selection and is pure (same input → equal output)', () => {
    const lab = makeVethPair();
    const a = toFlow(lab, layout, {}, new Map(), { nodes: ['blue'], links: [], endpoint: 'l1#0' });
    const b = toFlow(lab, layout, {}, new Map(), { nodes: ['blue'], links: [], endpoint: 'l1#0' });
    expect(a).toEqual(b);
    expect(a.nodes[1]!.selected).toBe(true);
    expect(a.edges[0]!.selected).toBe(true);
    expect(a.edges[0]!.data!.ends[0].selected).toBe(true);
    expect(sameNodeView(a.nodes[0]!.data, b.nodes[0]!.data)).toBe(true);
  });

  it('shows the failing command on the object it concerned, and the busy object', () => {
    const lab = makeVethPair();
    const a = toFlow(lab, layout, {}, new Map(), undefined, {
      failure: { object: 'l1#1', text: '$ ip link add … — File exists (rolled back)' },
      busy: 'blue',
    });
    expect(a.edges[0]!.data!.failure).toMatch(/File exists/);
    expect(a.nodes[0]!.data.failure).toBeUndefined();
    expect(a.nodes[1]!.data.busy).toBe(true);
    const b = toFlow(lab, layout, {}, new Map(), undefined, { failure: { object: 'red', text: 'x' } });
    expect(b.nodes[0]!.data.failure).toBe('x');
    expect(sameNodeView(a.nodes[0]!.data, b.nodes[0]!.data)).toBe(false);
  });

  it('live tools: path objects and notes reach the view, and change its identity', () => {
    const lab = makeVethPair();
    const plain = toFlow(lab, layout, {}, new Map());
    const marked = toFlow(lab, layout, {}, new Map(), undefined, {
      path: new Set(['red', 'l1']),
      notes: new Map([['l1', 'LinkDown']]),
    });
    expect(marked.nodes.map((n) => n.data.path ?? false)).toEqual([true, false]);
    expect(marked.edges[0]!.data).toMatchObject({ path: true, note: 'LinkDown' });
    expect(sameNodeView(plain.nodes[0]!.data, marked.nodes[0]!.data)).toBe(false);
    expect(sameNodeView(plain.nodes[1]!.data, marked.nodes[1]!.data)).toBe(true);
    expect(sameEdgeView(plain.edges[0]!.data!, marked.edges[0]!.data!)).toBe(false);
  });

  it('attached interfaces: chips with kind detail, bridge, live state by <node>/<ifname>, first error', () => {
    const lab = makeVethPair();
    lab.nodes.push(makeBridge('br', 'br0', { namespace: 'red' }));
    const red = lab.nodes[0]!;
    if (red.kind !== 'namespace') throw new Error('red is a namespace');
    red.interfaces = [
      { kind: 'vxlan', name: 'vxlan0', addresses: [], vni: 42, remote: '10.0.0.2', dstPort: 4789, bridge: 'br' },
      { kind: 'tap', name: 'tap0', addresses: [] },
      { kind: 'vlan', name: 'v10', addresses: [], parent: 'red-eth0', vlanId: 10 },
    ];
    const status = { 'red/vxlan0': st('red/vxlan0', 'ready', { operstate: 'UNKNOWN' }) };
    const view = toFlow(lab, layout, status, problemsOf(lab).byObject);
    expect(view.nodes[0]!.data.attached).toEqual([
      {
        key: 'red/vxlan0',
        kind: 'vxlan',
        name: 'vxlan0',
        detail: 'VNI 42',
        bridge: 'br0',
        state: 'ready',
        operstate: 'UNKNOWN',
      },
      { key: 'red/tap0', kind: 'tap', name: 'tap0', state: 'absent' },
      { key: 'red/v10', kind: 'vlan', name: 'v10', detail: 'VLAN 10 on red-eth0', state: 'absent' },
    ]);
    expect(view.nodes[1]!.data.attached).toBeUndefined();
    // The vxlan is a port of br: a dashed, unselectable edge from red to the bridge, which is drawn inside
    // red (the line runs up from it to red's rows).
    expect(view.attachEdges).toEqual([
      expect.objectContaining({
        id: 'attach:red/vxlan0',
        type: 'attach',
        source: 'red',
        target: 'br',
        selectable: false,
        data: { key: 'red/vxlan0', ifname: 'vxlan0', state: 'ready', inside: nestTop(view.nodes[0]!.data) - NEST_PAD },
      }),
    ]);
    // A problem of interface #1 marks that chip only; a status change changes the view's identity.
    const badLab = structuredClone(lab); // problemsOf is memoized on the lab object
    (badLab.nodes[0] as { interfaces: { name: string }[] }).interfaces[1]!.name = 'bad name';
    const bad = toFlow(badLab, layout, status, problemsOf(badLab).byObject);
    expect(bad.nodes[0]!.data.attached![1]!.error).toBeDefined();
    expect(bad.nodes[0]!.data.attached![0]!.error).toBeUndefined();
    const down = toFlow(badLab, layout, { 'red/vxlan0': st('red/vxlan0', 'drifted') }, problemsOf(badLab).byObject);
    expect(sameNodeView(bad.nodes[0]!.data, down.nodes[0]!.data)).toBe(false);
    expect(sameNodeView(bad.nodes[1]!.data, down.nodes[1]!.data)).toBe(true);
    expect(sameAttachEdge(bad.attachEdges[0]!, down.attachEdges[0]!)).toBe(false);
    const again = toFlow(badLab, layout, status, problemsOf(badLab).byObject);
    expect(sameAttachEdge(bad.attachEdges[0]!, again.attachEdges[0]!)).toBe(true);
    expect(sameNodeView(bad.nodes[0]!.data, again.nodes[0]!.data)).toBe(true);
  });
});
