/**
 * TEST SUPPORT: the optional kernel features a lab needs (the capabilities the planner refuses without:
 * bridge VLAN filtering, 802.1Q vlan, macvlan, netem, GRE/IPIP/ip6tnl/GENEVE) and WireGuard (probed: kernel module or wireguard-go). Tests
 * that open engines without the capability probe leave such labs to server/examples.kernel.test.ts, which
 * probes. Pure; reads the lab in its input form.
 */
import { type LabInput, NETEM_FIELDS } from '../../shared';

export function optionalFeatures(lab: LabInput): string[] {
  const out = new Set<string>();
  for (const n of lab.nodes) {
    if (n.kind === 'bridge' && n.vlanFiltering === true) out.add('bridgeVlan');
    if (n.kind !== 'namespace') continue;
    for (const x of n.interfaces ?? [])
      if (
        x.kind === 'vlan' ||
        x.kind === 'macvlan' ||
        x.kind === 'wireguard' ||
        x.kind === 'gre' ||
        x.kind === 'ipip' ||
        x.kind === 'ip6tnl' ||
        x.kind === 'geneve'
      )
        out.add(x.kind);
  }
  for (const l of lab.links)
    for (const e of l.endpoints) if (NETEM_FIELDS.some((f) => e.impairment?.[f] !== undefined)) out.add('netem');
  return [...out].sort();
}
