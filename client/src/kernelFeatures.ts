/**
 * Which lab settings need a kernel feature the server's capability report (GET /api/info `capabilities`)
 * says is missing: bridge VLAN filtering (`bridgeVlan`) and 802.1Q sub-interfaces (`vlan`). Pure. The
 * inspector shows the note by the field and Apply is refused with it, BEFORE anything runs (the server's plan
 * refuses them too). Unknown capabilities (not connected yet) count as present.
 */
import type { Lab } from '../../shared/lab';

export type Capabilities = Record<string, boolean> | null;

/** The note shown by a field the kernel cannot realize. */
export const UNAVAILABLE = {
  bridgeVlan:
    'not available on this kernel: it lacks bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), so Apply refuses it. Two bridges as two LANs teach the same idea here (example "two-lans").',
  vlan: 'not available on this kernel: it lacks 802.1Q VLAN support (8021q), so Apply refuses it.',
} as const;

export const lacks = (caps: Capabilities, feature: keyof typeof UNAVAILABLE): boolean => caps?.[feature] === false;

let memoLab: Lab | null = null;
let memoUses: { feature: keyof typeof UNAVAILABLE; what: string }[] = [];

/** Every use of a VLAN feature in the lab, "VLAN filtering on bridge br0", in lab order; memoized. */
export function vlanUses(lab: Lab): { feature: keyof typeof UNAVAILABLE; what: string }[] {
  if (lab === memoLab) return memoUses;
  const out: { feature: keyof typeof UNAVAILABLE; what: string }[] = [];
  for (const n of lab.nodes) {
    if (n.kind === 'bridge' && n.vlanFiltering)
      out.push({ feature: 'bridgeVlan', what: `VLAN filtering on bridge ${n.name}` });
    if (n.kind === 'namespace')
      for (const x of n.interfaces ?? [])
        if (x.kind === 'vlan') out.push({ feature: 'vlan', what: `VLAN sub-interface ${x.name} in ${n.name}` });
  }
  memoLab = lab;
  memoUses = out;
  return out;
}

/** Why the kernel cannot apply this lab ("VLAN filtering on bridge br0 is not available on this kernel"), or null. */
export function kernelBlocker(lab: Lab, caps: Capabilities): string | null {
  const use = vlanUses(lab).find((u) => lacks(caps, u.feature));
  if (!use) return null;
  return `${use.what} is not available on this kernel (${use.feature === 'bridgeVlan' ? 'no CONFIG_BRIDGE_VLAN_FILTERING' : 'no 8021q'})`;
}

/** The short label of a bridge port's VLAN membership, for the canvas: "VLAN 10", "VLAN 1 · tagged 10,20". */
export function portVlanLabel(v: {
  pvid?: number | undefined;
  untagged?: boolean | undefined;
  tagged?: number[] | undefined;
}): string {
  const pvid = v.pvid ?? 1;
  const tagged = v.tagged ?? [];
  const native = v.untagged === false ? `pvid ${pvid} (tagged)` : `VLAN ${pvid}`;
  return tagged.length ? `${native} · tagged ${tagged.join(',')}` : native;
}
