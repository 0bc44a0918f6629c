/** ip6tnl (IPv6 tunnel, `mode ip6ip6|ipip6|any`): `ip link add NAME type ip6tnl mode M remote R [local L]`. */
import { canonicalIp as netCanonicalIp } from '../../../shared/net';
import { type AttachedKind, ipIn } from './kind';
import { tunnelNeed } from './tunnelNeed';

export type Ip6tnlSpec = { kind: 'ip6tnl'; remote: string; local?: string; mode: 'ip6ip6' | 'ipip6' | 'any' };

const canonicalIp = (ip: string): string => netCanonicalIp(ip) ?? ip;

export const ip6tnl: AttachedKind<'ip6tnl'> = {
  kind: 'ip6tnl',
  probe: 'ip6tnl',
  probeArgs: () => ['type', 'ip6tnl', 'mode', 'any', 'remote', '::2', 'local', '::1'],
  capability: tunnelNeed('ip6tnl'),
  desired: (x) => ({
    kind: 'ip6tnl',
    remote: canonicalIp(x.remote),
    ...(x.local !== undefined && { local: canonicalIp(x.local) }),
    mode: x.mode ?? 'any',
  }),
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
      'ip6tnl',
      'mode',
      x.mode,
      'remote',
      x.remote,
      ...(x.local !== undefined ? ['local', x.local] : []),
    ),
};
