/** VLAN features the kernel lacks are told before Apply (issue #15 item 4). */
import { describe, expect, it } from 'vitest';
import type { Lab } from '../../shared/lab';
import { kernelBlocker, lacks, portVlanLabel, vlanUses } from './kernelFeatures';
import { createEditorStore } from './store/editorStore';
import { selectApplyBlocker } from './store/selectors';
import { makeBridge, makeLab } from './testing/factories';

const filteringLab = (): Lab => {
  const lab = makeLab();
  return { ...lab, nodes: [...lab.nodes, makeBridge('br', 'br0', { vlanFiltering: true })] };
};

describe('kernel features', () => {
  it('names the first VLAN use; unknown capabilities count as present', () => {
    expect(vlanUses(filteringLab()).map((u) => u.what)).toEqual(['VLAN filtering on bridge br0']);
    expect(kernelBlocker(filteringLab(), null)).toBeNull();
    expect(kernelBlocker(filteringLab(), { bridgeVlan: true })).toBeNull();
    expect(kernelBlocker(filteringLab(), { bridgeVlan: false })).toBe(
      'VLAN filtering on bridge br0 is not available on this kernel (no CONFIG_BRIDGE_VLAN_FILTERING)',
    );
    expect(kernelBlocker(makeLab(), { bridgeVlan: false, vlan: false })).toBeNull();
    expect(lacks({ vlan: false }, 'vlan')).toBe(true);
    expect(lacks(null, 'vlan')).toBe(false);
  });

  it('Apply is blocked with the same words, before anything runs', () => {
    const store = createEditorStore();
    store.getState().loadDocument(filteringLab(), { version: 1, positions: {}, notes: [] }, 1);
    store.getState().setConnection('connected');
    expect(selectApplyBlocker(store.getState())).toBeNull();
    store.getState().setCapabilities({ bridgeVlan: false });
    expect(selectApplyBlocker(store.getState())).toContain('not available on this kernel');
  });

  it('port labels: access, trunk, tagged native', () => {
    expect(portVlanLabel({})).toBe('VLAN 1');
    expect(portVlanLabel({ pvid: 10 })).toBe('VLAN 10');
    expect(portVlanLabel({ tagged: [10, 20] })).toBe('VLAN 1 · tagged 10,20');
    expect(portVlanLabel({ pvid: 5, untagged: false })).toBe('pvid 5 (tagged)');
  });
});
