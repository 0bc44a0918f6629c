/** GENEVE (L2 over UDP): `ip link add NAME type geneve id VNI remote R dstport P`. */
import { type AttachedKind, ipIn } from './kind';
import { tunnelNeed } from './tunnelNeed';

/** GENEVE (L2 over UDP). */
export type GeneveSpec = { kind: 'geneve'; vni: number; remote: string; dstPort: number };

export const geneve: AttachedKind<'geneve'> = {
  kind: 'geneve',
  probe: 'geneve',
  probeArgs: () => ['type', 'geneve', 'id', '42', 'remote', '127.0.0.2'],
  capability: tunnelNeed('geneve'),
  desired: (x) => ({ kind: 'geneve', vni: x.vni, remote: x.remote, dstPort: x.dstPort ?? 6081 }),
  under: () => [],
  ipAdd: (op, x, mtu) =>
    ipIn(
      op.netns,
      'link',
      'add',
      'name',
      op.ifname,
      ...mtu,
      'type',
      'geneve',
      'id',
      String(x.vni),
      'remote',
      x.remote,
      'dstport',
      String(x.dstPort),
    ),
};
