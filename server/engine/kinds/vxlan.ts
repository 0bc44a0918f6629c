/** VXLAN: `ip link add NAME type vxlan id VNI [remote|group] [local] dstport P [dev UNDERLAY]`. */
import { type AttachedKind, ipIn } from './kind';

export type VxlanSpec = {
  kind: 'vxlan';
  vni: number;
  remote?: string;
  group?: string;
  local?: string;
  dstPort: number;
  dev?: string;
};

export const vxlan: AttachedKind<'vxlan'> = {
  kind: 'vxlan',
  probe: 'vxlan',
  probeArgs: () => ['type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', '127.0.0.1'],
  desired: (x) => ({
    kind: 'vxlan',
    vni: x.vni,
    ...(x.remote !== undefined && { remote: x.remote }),
    ...(x.group !== undefined && { group: x.group }),
    ...(x.local !== undefined && { local: x.local }),
    dstPort: x.dstPort ?? 4789,
    ...(x.dev !== undefined && { dev: x.dev }),
  }),
  matches: (x, l) => {
    const v = l.vxlan;
    return (
      v !== undefined &&
      v.vni === x.vni &&
      (v.remote ?? null) === (x.remote ?? null) &&
      (v.group ?? null) === (x.group ?? null) &&
      (x.local === undefined || v.local === x.local) &&
      (v.port ?? 4789) === x.dstPort
    );
  },
  simulated: (x) => ({
    mtu: 1450,
    vxlan: {
      vni: x.vni,
      ...(x.remote !== undefined && { remote: x.remote }),
      ...(x.group !== undefined && { group: x.group }),
      ...(x.local !== undefined && { local: x.local }),
      port: x.dstPort,
    },
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
