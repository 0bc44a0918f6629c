/** GRE and IPIP point-to-point tunnels: `ip link add NAME type gre|ipip remote R [local L] [ttl N]`. */
import type { AttachedInterface } from '../../../shared';
import { type AttachedKind, ipIn } from './kind';
import { tunnelNeed } from './tunnelNeed';

type K = 'gre' | 'ipip';
/** Point-to-point IP tunnels (GRE, IPIP). */
export type IpTunnelSpec = { kind: K; remote: string; local?: string; ttl?: number };
type Spec = IpTunnelSpec;

const ipTunnel = <T extends K>(kind: T): AttachedKind<T> => ({
  kind,
  probe: kind,
  probeArgs: () => ['type', kind, 'remote', '127.0.0.2', 'local', '127.0.0.1'],
  capability: tunnelNeed(kind),
  desired: (x: Extract<AttachedInterface, { kind: K }>) =>
    ({
      kind,
      remote: x.remote,
      ...(x.local !== undefined && { local: x.local }),
      ...(x.ttl !== undefined && { ttl: x.ttl }),
    }) as never,
  under: () => [],
  ipAdd: (op, x: Spec, mtu) =>
    ipIn(
      op.netns,
      'link',
      'add',
      'name',
      op.ifname,
      ...mtu,
      'type',
      kind,
      'remote',
      x.remote,
      ...(x.local !== undefined ? ['local', x.local] : []),
      ...(x.ttl !== undefined ? ['ttl', String(x.ttl)] : []),
    ),
});

export const gre = ipTunnel('gre');
export const ipip = ipTunnel('ipip');
