import { beforeEach, describe, expect, it } from 'vitest';
import type { NamespaceNode } from '../../../shared/lab';
import { validate } from '../../../shared/validate';
import { makeBridge, makeVethPair } from '../testing/factories';
import { createEditorStore, type EditorStore } from './editorStore';
import { selectApplyBlocker } from './selectors';

let store: EditorStore;
const s = () => store.getState();
const history = () => store.temporal.getState();
const ns = (id: string) => s().lab.nodes.find((n) => n.id === id) as NamespaceNode;

beforeEach(() => {
  store = createEditorStore();
  s().loadDocument(makeVethPair(), { version: 1, positions: {}, notes: [] }, 1);
  history().clear();
  s().setConnection('connected');
});

describe('attached interface verbs', () => {
  it('addInterface proposes a vxlan over the veth underlay and a tap: one history entry each, valid lab', () => {
    expect(s().addInterface('red', 'vxlan')).toBe(0);
    expect(ns('red').interfaces).toEqual([
      { kind: 'vxlan', name: 'vxlan0', addresses: [], vni: 42, remote: '10.0.0.2', local: '10.0.0.1', dstPort: 4789 },
    ]);
    expect(s().addInterface('red', 'tap')).toBe(1);
    expect(ns('red').interfaces![1]).toEqual({ kind: 'tap', name: 'tap0', addresses: [] });
    expect(history().pastStates).toHaveLength(2);
    expect(validate(s().lab).ok).toBe(true);
    history().undo();
    expect(ns('red').interfaces).toHaveLength(1);
  });

  it('the peer namespace answers an existing tunnel (same VNI, swapped ends); elsewhere a free VNI', () => {
    s().addInterface('red', 'vxlan');
    s().addInterface('blue', 'vxlan');
    expect(ns('blue').interfaces![0]).toMatchObject({ vni: 42, remote: '10.0.0.1', local: '10.0.0.2' });
    s().addInterface('red', 'vxlan');
    expect(ns('red').interfaces![1]).toMatchObject({ name: 'vxlan1', vni: 43 });
    expect(validate(s().lab).ok).toBe(true);
  });

  it('vlan on the first veth (eth.10, next id when taken); macvlan on eth0; addInterface on a bridge is a no-op', () => {
    s().addInterface('red', 'vlan');
    s().addInterface('red', 'vlan');
    s().addInterface('red', 'macvlan');
    expect(ns('red').interfaces).toEqual([
      { kind: 'vlan', name: 'red-eth0.10', addresses: [], parent: 'red-eth0', vlanId: 10 },
      { kind: 'vlan', name: 'red-eth0.20', addresses: [], parent: 'red-eth0', vlanId: 20 },
      { kind: 'macvlan', name: 'mv0', addresses: [], parent: 'eth0', mode: 'bridge' },
    ]);
    s().loadDocument(
      { ...s().lab, nodes: [...s().lab.nodes, makeBridge('br', 'br0')] },
      { version: 1, positions: {}, notes: [] },
      1,
    );
    history().clear();
    expect(s().addInterface('br', 'tap')).toBeNull();
    expect(s().addInterface('nope', 'tap')).toBeNull();
    expect(history().pastStates).toHaveLength(0);
  });

  it('updateInterface merges, clears a field with undefined and keeps the kind; invalid VNI blocks Apply', () => {
    s().addInterface('red', 'vxlan');
    s().updateInterface('red', 0, { vni: 0 });
    expect(ns('red').interfaces![0]).toMatchObject({ kind: 'vxlan', vni: 0 });
    const v = validate(s().lab);
    expect(v.issues.map((i) => i.path.join('.'))).toContain('nodes.0.interfaces.0.vni');
    expect(selectApplyBlocker(s())).toMatch(/1 problem must be fixed/);
    s().updateInterface('red', 0, { vni: 100, local: undefined, name: 'vx100' });
    expect(ns('red').interfaces![0]).toEqual({
      kind: 'vxlan',
      name: 'vx100',
      addresses: [],
      vni: 100,
      remote: '10.0.0.2',
      dstPort: 4789,
    });
    expect(selectApplyBlocker(s())).toBeNull();
    expect(history().pastStates).toHaveLength(3);
    s().updateInterface('red', 5, { vni: 1 }); // no such interface: nothing recorded
    expect(history().pastStates).toHaveLength(3);
  });

  it('removeInterface: one entry; the list disappears with its last item', () => {
    s().addInterface('red', 'tap');
    s().addInterface('red', 'vxlan');
    s().removeInterface('red', 0);
    expect(ns('red').interfaces!.map((x) => x.name)).toEqual(['vxlan0']);
    s().removeInterface('red', 0);
    expect('interfaces' in ns('red')).toBe(false);
    expect(history().pastStates).toHaveLength(4);
    history().undo();
    expect(ns('red').interfaces!.map((x) => x.name)).toEqual(['vxlan0']);
  });

  it('removing a bridge unenslaves its attached ports; pasting a namespace drops a bridge left behind', () => {
    const lab = s().lab;
    s().loadDocument(
      { ...lab, nodes: [...lab.nodes, makeBridge('br', 'br0', { namespace: 'red' })] },
      { version: 1, positions: {}, notes: [] },
      1,
    );
    s().addInterface('red', 'vxlan');
    s().updateInterface('red', 0, { bridge: 'br' });
    expect(validate(s().lab).ok).toBe(true);
    s().select({ nodes: ['red'] });
    const [copy] = s().duplicate();
    const dup = ns(copy!);
    expect(dup.interfaces![0]).not.toHaveProperty('bridge');
    s().select({ nodes: ['red', 'br'] });
    const [copy2, br2] = s().duplicate();
    expect(ns(copy2!).interfaces![0]).toMatchObject({ bridge: br2 });
    s().removeObjects(['br']);
    expect(ns('red').interfaces![0]).not.toHaveProperty('bridge');
  });

  it('interface names and subnets are taken into account for new veths', () => {
    s().addInterface('red', 'tap');
    s().updateInterface('red', 0, { name: 'red-eth1', addresses: ['10.0.0.4/30'] });
    s().addNode('namespace', { x: 0, y: 0 });
    const id = s().connect('red', s().lab.nodes[2]!.id)!;
    const link = s().lab.links.find((l) => l.id === id)!;
    expect(link.endpoints[0].ifname).toBe('red-eth2');
    expect(link.endpoints[0].addresses).toEqual(['10.0.0.9/30']);
  });
});
