/** VXLAN: `ip link add NAME type vxlan id VNI [remote|group] [local] dstport P [dev UNDERLAY]`. */
import { type AttachedKind, ipIn } from './kind';

export const vxlan: AttachedKind<'vxlan'> = {
  kind: 'vxlan',
  probe: 'vxlan',
  desired: (x) => ({
    kind: 'vxlan',
    vni: x.vni,
    ...(x.remote !== undefined && { remote: x.remote }),
    ...(x.group !== undefined && { group: x.group }),
    ...(x.local !== undefined && { local: x.local }),
    dstPort: x.dstPort ?? 4789,
    ...(x.dev !== undefined && { dev: x.dev }),
  }),
  under: (x, netns) => (x.dev !== undefined ? [{ kind: 'link', ns: netns, ifname: x.dev }] : []),
  ipAdd: (op, x, mtu) =>
    ipIn(
      op.netns,
      'link',
      'add',
      'name',
      op.ifname,
      ...mtu,
      'type',
      'vxlan',
      'id',
      String(x.vni),
      ...(x.remote !== undefined ? ['remote', x.remote] : []),
      ...(x.group !== undefined ? ['group', x.group] : []),
      ...(x.local !== undefined ? ['local', x.local] : []),
      'dstport',
      String(x.dstPort),
      ...(x.dev !== undefined ? ['dev', x.dev] : []),
    ),
};
