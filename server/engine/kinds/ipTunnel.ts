/** GRE and IPIP point-to-point tunnels: `ip link add NAME type gre|ipip remote R [local L] [ttl N]`. */
import type { AttachedInterface } from '../../../shared';
import type { AttachedSpec } from '../types';
import { type AttachedKind, ipIn } from './kind';
import { tunnelNeed } from './tunnelNeed';

type K = 'gre' | 'ipip';
type Spec = Extract<AttachedSpec, { kind: K }>;

const ipTunnel = <T extends K>(kind: T): AttachedKind<T> => ({
  kind,
  probe: kind,
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
