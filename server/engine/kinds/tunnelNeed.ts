/** The capability the tunnel kinds need (refused together with WireGuard's, in interface order). */
import type { AttachedKind } from './kind';

const NEEDS = {
  gre: "the kernel's GRE tunnels (ip_gre, CONFIG_NET_IPGRE)",
  ipip: "the kernel's IPIP tunnels (ipip, CONFIG_NET_IPIP)",
  ip6tnl: "the kernel's IPv6 tunnels (ip6_tunnel, CONFIG_IPV6_TUNNEL)",
  geneve: "the kernel's GENEVE tunnels (geneve, CONFIG_GENEVE)",
} as const;

export const tunnelNeed = (k: keyof typeof NEEDS): NonNullable<AttachedKind['capability']> => ({
  key: k,
  field: 'kind',
  group: 'tunnel',
  message: (ifname) =>
    `${k === 'ip6tnl' ? 'ip6tnl' : k.toUpperCase()} interface '${ifname}' needs ${NEEDS[k]}, which this kernel does not have`,
});
