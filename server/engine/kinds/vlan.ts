/** 802.1Q VLAN: `ip link add link PARENT name X type vlan id N` (parent in the same namespace). */
import { type AttachedKind, ipIn } from './kind';

export type VlanSpec = { kind: 'vlan'; parent: string; vlanId: number };

export const vlan: AttachedKind<'vlan'> = {
  kind: 'vlan',
  probe: 'vlan',
  probeArgs: (lower) => ['link', lower, 'type', 'vlan', 'id', '5'],
  capability: {
    key: 'vlan',
    field: 'vlanId',
    message: (ifname) => `VLAN interface '${ifname}' needs 802.1Q (vlan) support, which this kernel does not have`,
  },
  desired: (x) => ({ kind: 'vlan', parent: x.parent, vlanId: x.vlanId }),
  under: (x, netns) => [{ kind: 'link', ns: netns, ifname: x.parent }],
  ipAdd: (op, x, mtu) =>
    ipIn(op.netns, 'link', 'add', 'link', x.parent, 'name', op.ifname, ...mtu, 'type', 'vlan', 'id', String(x.vlanId)),
};
