/**
 * The registry of interface kinds attached to namespace nodes. Adding a kind: its module, one line here
 * (and its spec in AttachedSpec), the schema and the UI. A kind the schema knows but this registry does not
 * is refused at plan time as Unsupported. (WireGuard's keys, peers and daemons are its runtime,
 * wireguard.ts, called from engine.ts.)
 */
import { type GeneveSpec, geneve } from './geneve';
import { type Ip6tnlSpec, ip6tnl } from './ip6tnl';
import { gre, type IpTunnelSpec, ipip } from './ipTunnel';
import type { AttachedKind } from './kind';
import { type MacvlanSpec, macvlan } from './macvlan';
import { type TapSpec, tap } from './tap';
import { type VlanSpec, vlan } from './vlan';
import { type VxlanSpec, vxlan } from './vxlan';
import { type WireguardSpec, wireguard } from './wireguardDevice';

/** What `iface.create` makes: one spec per kind, declared by its module. */
export type AttachedSpec =
  | VxlanSpec
  | TapSpec
  | VlanSpec
  | MacvlanSpec
  | WireguardSpec
  | IpTunnelSpec
  | Ip6tnlSpec
  | GeneveSpec;

/** Registry order is the order of plan-time refusals (a capability group at its first kind). */
const KINDS: { [K in AttachedSpec['kind']]: AttachedKind<K> } = {
  vxlan,
  tap,
  vlan,
  wireguard,
  gre,
  ipip,
  ip6tnl,
  geneve,
  macvlan,
};

/** `mtuAfter` of a kind for one spec. */
export const mtuAfter = (kind: AttachedKind, spec: AttachedSpec): boolean =>
  typeof kind.mtuAfter === 'function' ? kind.mtuAfter(spec as never) : kind.mtuAfter === true;

/** The module of an attached kind, or undefined when this engine cannot create it. */
export function attachedKind<K extends string>(kind: K): AttachedKind | undefined {
  return Object.hasOwn(KINDS, kind) ? (KINDS[kind as AttachedSpec['kind']] as AttachedKind) : undefined;
}

export const attachedKinds = (): AttachedKind[] => Object.values(KINDS) as AttachedKind[];

/** The module of the kind whose kernel links are of `linkKind` (an observed link's kind), if any. */
export const linkKind = (linkKind: string): AttachedKind | undefined => attachedKind(linkKind);
