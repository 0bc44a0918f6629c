// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NamespaceNode } from '../../../shared/lab';
import { EditorProvider } from '../store/context';
import { createEditorStore, type EditorStore } from '../store/editorStore';
import { selectApplyBlocker } from '../store/selectors';
import { makeBridge, makeVethPair } from '../testing/factories';
import { Inspector } from './Inspector';

let store: EditorStore;
const s = () => store.getState();
const red = () => s().lab.nodes.find((n) => n.id === 'red') as NamespaceNode;
beforeEach(() => {
  store = createEditorStore();
  const lab = makeVethPair();
  lab.nodes.push(makeBridge('br', 'br0', { namespace: 'red' }));
  s().loadDocument(lab, { version: 1, positions: {}, notes: [] }, 1);
  store.temporal.getState().clear();
  s().setConnection('connected');
});
afterEach(cleanup);

const ui = () => {
  render(
    <EditorProvider store={store}>
      <Inspector />
    </EditorProvider>,
  );
  act(() => s().select({ nodes: ['red'] }));
};
const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const commit = (id: string, value: string) => {
  fireEvent.change(input(id), { target: { value } });
  fireEvent.keyDown(input(id), { key: 'Enter' });
};
const add = (kind: string) => {
  fireEvent.change(screen.getByTestId('inspector.iface-kind'), { target: { value: kind } });
  fireEvent.click(screen.getByTestId('inspector.iface-add'));
};

describe('namespace inspector: attached interfaces', () => {
  it('adds a tap and a vxlan with proposed fields; one undo entry each', () => {
    ui();
    expect(screen.getByTestId('inspector.interfaces.empty')).toBeTruthy();
    add('tap');
    add('vxlan');
    expect(red().interfaces!.map((x) => x.name)).toEqual(['tap0', 'vxlan0']);
    expect(screen.getByTestId('inspector.iface.0').getAttribute('data-kind')).toBe('tap');
    expect(input('inspector.iface.1.name').value).toBe('vxlan0');
    expect(input('inspector.iface.1.vni').value).toBe('42');
    expect(input('inspector.iface.1.dstPort').value).toBe('4789');
    expect(input('inspector.iface.1.remote').value).toBe('10.0.0.2');
    expect(screen.queryByTestId('inspector.iface.0.vni')).toBeNull(); // a tap has no VNI
    expect(store.temporal.getState().pastStates).toHaveLength(2);
  });

  it('an invalid VNI: live check while typing, then validate() on the field and Apply blocked; fixed, cleared', () => {
    ui();
    add('vxlan');
    fireEvent.change(input('inspector.iface.0.vni'), { target: { value: '99999999' } });
    expect(screen.getByTestId('inspector.iface.0.vni.error').textContent).toMatch(/at most 16777215/);
    expect(red().interfaces![0]).toMatchObject({ vni: 42 }); // not committed yet
    fireEvent.keyDown(input('inspector.iface.0.vni'), { key: 'Enter' });
    expect(red().interfaces![0]).toMatchObject({ vni: 99999999 });
    expect(screen.getByTestId('inspector.iface.0.vni.error').textContent).toMatch(/at most 16777215/);
    expect(input('inspector.iface.0.vni').getAttribute('aria-invalid')).toBe('true');
    expect(selectApplyBlocker(s())).toMatch(/must be fixed/);
    // The namespace's own name field does not show the interface's problem.
    expect(screen.queryByTestId('inspector.name.error')).toBeNull();
    commit('inspector.iface.0.vni', '4242');
    expect(screen.queryByTestId('inspector.iface.0.vni.error')).toBeNull();
    expect(selectApplyBlocker(s())).toBeNull();
    // Not a number: nothing is stored, the field says why.
    commit('inspector.iface.0.vni', 'abc');
    expect(red().interfaces![0]).toMatchObject({ vni: 4242 });
    expect(screen.getByTestId('inspector.iface.0.vni.error').textContent).toMatch(/expected a number/);
  });

  it('whole-interface problems show on the card; remote cleared → needs remote or group', () => {
    ui();
    add('vxlan');
    commit('inspector.iface.0.remote', '');
    expect(red().interfaces![0]).not.toHaveProperty('remote');
    expect(screen.getByTestId('inspector.iface.0.error').textContent).toMatch(/exactly one of "remote"/);
    commit('inspector.iface.0.group', '239.1.1.1');
    expect(screen.getByTestId('inspector.iface.0.dev.error').textContent).toMatch(/needs "dev"/);
    commit('inspector.iface.0.dev', 'veth0');
    commit('inspector.iface.0.group', '');
    commit('inspector.iface.0.remote', '10.0.0.2');
    expect(screen.queryByTestId('inspector.iface.0.error')).toBeNull();
  });

  it('vlan parent/id, addresses, MTU, bridge port; rename; remove', () => {
    ui();
    add('vlan');
    expect(input('inspector.iface.0.name').value).toBe('red-eth0.10');
    commit('inspector.iface.0.vlanId', '30');
    commit('inspector.iface.0.parent', 'nope0');
    expect(screen.getByTestId('inspector.iface.0.parent.error').textContent).toMatch(/no interface nope0/);
    commit('inspector.iface.0.parent', 'red-eth0');
    commit('inspector.iface.0.addresses', '10.30.0.1/24, fd30::1/64');
    commit('inspector.iface.0.mtu', '1400');
    fireEvent.change(screen.getByTestId('inspector.iface.0.bridge'), { target: { value: 'br' } });
    commit('inspector.iface.0.name', 'red.30');
    expect(red().interfaces![0]).toEqual({
      kind: 'vlan',
      name: 'red.30',
      parent: 'red-eth0',
      vlanId: 30,
      addresses: ['10.30.0.1/24', 'fd30::1/64'],
      mtu: 1400,
      bridge: 'br',
    });
    commit('inspector.iface.0.mtu', '');
    expect(red().interfaces![0]).not.toHaveProperty('mtu');
    const before = store.temporal.getState().pastStates.length;
    fireEvent.click(screen.getByTestId('inspector.iface.0.remove'));
    expect(red()).not.toHaveProperty('interfaces');
    expect(store.temporal.getState().pastStates).toHaveLength(before + 1);
    expect(screen.getByTestId('inspector.interfaces.empty')).toBeTruthy();
  });

  it('address, local and dev rules of an attached interface show on its fields (issue #13 item 11)', () => {
    ui();
    add('vxlan');
    commit('inspector.iface.0.addresses', '127.0.0.5/8');
    expect(screen.getByTestId('inspector.iface.0.addresses.error').textContent).toMatch(/loopback/);
    commit('inspector.iface.0.addresses', '10.77.0.1/24');
    expect(screen.queryByTestId('inspector.iface.0.addresses.error')).toBeNull();
    commit('inspector.iface.0.local', '10.9.9.9');
    expect(screen.getByTestId('inspector.iface.0.local.error').textContent).toMatch(/not an address of namespace/);
    commit('inspector.iface.0.local', '');
    commit('inspector.iface.0.dev', 'nope0');
    expect(screen.getByTestId('inspector.iface.0.dev.error').textContent).toMatch(/no interface nope0/);
    expect(selectApplyBlocker(s())).toMatch(/must be fixed/);
  });

  it('a tunnel field the card does not edit (a GRE local) shows its problem on the card', () => {
    const lab = makeVethPair();
    const ns = lab.nodes.find((n) => n.id === 'red') as NamespaceNode;
    ns.interfaces = [{ kind: 'gre', name: 'gre1', remote: '10.0.0.2', local: '10.9.9.9', addresses: [] }];
    s().loadDocument(lab, { version: 1, positions: {}, notes: [] }, 2);
    ui();
    expect(screen.getByTestId('inspector.iface.0.error').textContent).toMatch(/"local" of GRE gre1/);
  });

  it('shows the live state of the interface object <node>/<ifname>', () => {
    ui();
    add('tap');
    expect(screen.queryByTestId('inspector.iface.0.status')).toBeNull();
    act(() =>
      s().applySnapshot({
        lab: 'veth-pair',
        observedRevision: 1,
        appliedRevision: 1,
        at: new Date(0).toISOString(),
        objects: { 'red/tap0': { id: 'red/tap0', state: 'ready', operstate: 'DOWN', conditions: [] } },
      }),
    );
    expect(screen.getByTestId('inspector.iface.0.status').getAttribute('data-state')).toBe('ready');
    expect(screen.getByTestId('inspector.iface.0.status').textContent).toMatch(/operstate DOWN/);
  });
});
