/**
 * Engine-internal data: what observe() reads from the host, and the operations plan() produces and the
 * driver executes. Plain data (JSON-serializable) so plans can be journaled, golden-tested and shown.
 */
import type { Counters, Route } from '../../shared';
import type { AttachedSpec } from './kinds';

/** Ownership marker: `netloom:<lab>:<object>`, stored as an interface alias (for a namespace: on its `lo`). */
export interface Marker {
  lab: string;
  object: string;
}

/** Netns name, or null for the root network namespace (of the host or of the sandbox). */
export type NetnsRef = string | null;

/** A link named from elsewhere: its namespace, name and index. */
export interface LinkRef {
  netns: NetnsRef;
  ifname: string;
  ifindex: number;
}

export interface ObservedLink {
  netns: NetnsRef;
  ifindex: number;
  ifname: string;
  /** `veth`, `bridge`, `loopback`, `vxlan`, `vlan`, `tun`, `dummy`, … (`ip -d` linkinfo kind). */
  kind: string;
  alias?: string;
  /** Parsed from `alias`; only an exact, well-formed marker counts. */
  marker: Marker | null;
  /** IFF_UP (administrative state). */
  adminUp: boolean;
  operstate: string;
  mtu: number;
  mac?: string;
  /** Name of the master (bridge) in the same namespace. */
  master?: string;
  /** For veth: the other end, resolved across namespaces (null if it could not be found). */
  peer?: { netns: NetnsRef; ifname: string; ifindex: number } | null;
  /** Global-scope addresses as canonical CIDR (`10.0.0.1/24`, `fd00::1/64`); IPv6 link-local excluded. */
  addresses: string[];
  counters?: Counters;
  group?: number;
  /** Bridges only. */
  stp?: boolean;
  /**
   * Root qdisc, only when it is not the kernel's default (noqueue, fq_codel, …): `tbf`/`netem` with their
   * parameters (read with `tc -j qdisc show`), any other kind with its kind alone.
   */
  qdisc?: ObservedQdisc;
  /** VXLAN devices: their tunnel parameters. */
  vxlan?: { vni: number; remote?: string; group?: string; local?: string; port?: number };
  /** `tun` devices: `tap` or `tun`. */
  tunType?: string;
  /**
   * Links of an attached kind on a lower device (its module's `decode`): the mode the module decodes (in
   * `ip -d` words) and the lower device, resolved when it is in the same namespace or in the root namespace
   * (null: in another namespace, or not found).
   */
  attachment?: { mode: string; parent: LinkRef | null };
  /** Bridges: 802.1Q VLAN filtering on. */
  vlanFiltering?: boolean;
  /**
   * Ports of a VLAN-filtering bridge Netloom owns: VLAN membership (`bridge -j vlan show`), sorted by vid.
   * Absent when not read (other ports, or a bridge that does not filter).
   */
  vlans?: PortVlanEntry[];
}

/** One VLAN of a bridge port: `pvid` (untagged ingress goes there), `untagged` (egress without a tag). */
export interface PortVlanEntry {
  vid: number;
  pvid: boolean;
  untagged: boolean;
}

/**
 * What `iface.create` makes: a node-attached interface. Each kind's module (kinds/) declares its own spec;
 * kinds/index.ts unites them.
 */
export type { AttachedSpec };

/** A root qdisc Netloom installs for an endpoint's impairment. */
export type QdiscSpec =
  | { kind: 'tbf'; rateKbit: number; burstBytes: number; latencyMs: number }
  | {
      kind: 'netem';
      delayMs?: number;
      jitterMs?: number;
      lossPct?: number;
      duplicatePct?: number;
      corruptPct?: number;
      rateKbit?: number;
    };

/** A root qdisc as observed: any kind; parameters of `tbf`/`netem` when they could be read. */
export type ObservedQdisc = { kind: string } & Partial<Omit<Extract<QdiscSpec, { kind: 'tbf' }>, 'kind'>> &
  Partial<Omit<Extract<QdiscSpec, { kind: 'netem' }>, 'kind'>>;

export interface ObservedRoute {
  family: 4 | 6;
  /** `default` or a canonical CIDR. */
  to: string;
  via?: string;
  dev?: string;
  metric?: number;
  /** `kernel` routes (connected subnets) are never planned against; we add `static`/`boot` ones. */
  protocol?: string;
}

export interface ObservedNetns {
  name: NetnsRef;
  /** From the alias of this namespace's `lo` (root namespace: always null). */
  marker: Marker | null;
  /** net.ipv4.ip_forward (and net.ipv6.conf.all.forwarding) both on. */
  forwarding?: boolean;
  /** net.ipv4.ip_forward alone (what host NAT needs). */
  ipv4Forward?: boolean;
  /** Other sysctls Netloom manages, by key (e.g. `net.ipv4.conf.all.rp_filter`), when read. */
  sysctls?: Record<string, string>;
  links: ObservedLink[];
  routes: ObservedRoute[];
}

export interface ObservedState {
  root: ObservedNetns;
  /** Named namespaces (those under /run/netns), by name. */
  namespaces: Record<string, ObservedNetns>;
  /**
   * nftables tables of the root namespace whose name starts with `netloom_` (ours are recognized by the
   * marker in their rule's comment, never by the name alone). Absent when nft could not be read.
   */
  nft?: ObservedNftTable[];
}

export interface ObservedNftTable {
  family: string;
  name: string;
  /** From the masquerade rule's comment `netloom:<lab>:<object> ipfwd=<0|1>`. */
  marker: Marker | null;
  /** net.ipv4.ip_forward before this NAT turned it on (restored when the NAT goes). */
  ipForwardWas?: 0 | 1;
  /** Source networks of the masquerade rule (canonical, sorted). */
  sources: string[];
}

// ---------------------------------------------------------------------------------------------------
// Operations: `noun.verb`. Each carries the lab object it concerns, a reason for people, and its inverse
// (computed purely by the planner from the observed state), so rollback needs no re-observation.

export interface VethEnd {
  netns: NetnsRef;
  ifname: string;
  marker: string;
  /** Enslave at creation (bridge in the same namespace). */
  master?: string;
  mtu?: number;
  mac?: string;
}

export type OpBody =
  | { kind: 'netns.create'; netns: string; marker: string }
  | { kind: 'netns.delete'; netns: string }
  /** IPv4 ip_forward and IPv6 all.forwarding inside the namespace. */
  | { kind: 'netns.setForwarding'; netns: NetnsRef; on: boolean }
  | { kind: 'bridge.create'; netns: NetnsRef; ifname: string; marker: string; stp?: boolean; mtu?: number }
  | { kind: 'bridge.setStp'; netns: NetnsRef; ifname: string; on: boolean }
  | { kind: 'veth.create'; a: VethEnd; b: VethEnd }
  /** Deletes an interface (for a veth: both ends). Only ever planned for owned interfaces. */
  | { kind: 'link.delete'; netns: NetnsRef; ifname: string }
  | { kind: 'link.rename'; netns: NetnsRef; from: string; to: string }
  | { kind: 'link.setUp'; netns: NetnsRef; ifname: string; up: boolean }
  | { kind: 'link.setMtu'; netns: NetnsRef; ifname: string; mtu: number }
  | { kind: 'link.setMac'; netns: NetnsRef; ifname: string; mac: string }
  | { kind: 'link.setMaster'; netns: NetnsRef; ifname: string; master: string | null }
  | { kind: 'link.setAlias'; netns: NetnsRef; ifname: string; alias: string }
  | { kind: 'addr.add'; netns: NetnsRef; ifname: string; cidr: string }
  | { kind: 'addr.del'; netns: NetnsRef; ifname: string; cidr: string }
  | { kind: 'route.add'; netns: NetnsRef; route: Route }
  | { kind: 'route.del'; netns: NetnsRef; route: Route }
  /** `tc qdisc replace dev X root …`: installs or changes the root qdisc in place (the link is kept). */
  | { kind: 'qdisc.replace'; netns: NetnsRef; ifname: string; qdisc: QdiscSpec }
  /** `tc qdisc del dev X root`: back to the kernel's default qdisc. */
  | { kind: 'qdisc.delete'; netns: NetnsRef; ifname: string }
  /**
   * `nft -f -` creating (or, with `replace`, atomically recreating) our table in the root namespace: one
   * postrouting masquerade rule carrying `comment` (the marker and the ip_forward value to restore).
   */
  | { kind: 'nat.apply'; table: string; comment: string; sources: string[]; replace: boolean }
  /** `nft -f -` deleting our table (only ever planned for a table whose rule carries this lab's marker). */
  | { kind: 'nat.delete'; table: string }
  /** Creates a node-attached interface (vxlan, tap, vlan), marks it and (optionally) enslaves it. */
  | {
      kind: 'iface.create';
      netns: NetnsRef;
      ifname: string;
      marker: string;
      spec: AttachedSpec;
      master?: string;
      mtu?: number;
    }
  /** `sysctl -w key=value` in a namespace (root: null); the inverse carries the observed previous value. */
  | { kind: 'sysctl.set'; netns: NetnsRef; key: string; value: string }
  /** `ip link set dev BR type bridge vlan_filtering 0|1` (in place). */
  | { kind: 'bridge.setVlanFiltering'; netns: NetnsRef; ifname: string; on: boolean }
  /**
   * `bridge vlan add dev PORT vid N [pvid] [untagged]`: adds the VLAN to a bridge port, or sets its flags when
   * it is already there (a new pvid takes the flag from the old one).
   */
  | { kind: 'bridge.vlanAdd'; netns: NetnsRef; ifname: string; vid: number; pvid: boolean; untagged: boolean }
  /** `bridge vlan del dev PORT vid N`. */
  | { kind: 'bridge.vlanDel'; netns: NetnsRef; ifname: string; vid: number };

/** The same union (the name older call sites use). */
export type AnyOpBody = OpBody;

export type OpKind = OpBody['kind'];

export interface OpMeta {
  /** Lab object id (node id, link id, or endpoint key `${linkId}#0|#1`). */
  object: string;
  reason: string;
  /** What undoes it; null when nothing needs undoing (e.g. a delete during destroy is not rolled back). */
  inverse: AnyOpBody | null;
}

export type Operation = AnyOpBody & OpMeta;

/** A plan-time error: nothing may run. */
export interface PlanError {
  code: 'Conflict' | 'Unsupported' | 'InvalidLab';
  message: string;
  /** JSON path into the lab, when the error concerns one field. */
  path?: string;
  object?: string;
}

/** Something the user should see before applying; nothing is refused (plan warnings, pre-flight). */
export interface PlanWarning {
  code: string;
  message: string;
  path?: string;
  object?: string;
}

export interface Plan<O extends Operation = Operation> {
  ops: O[];
  errors: PlanError[];
  /** Present only when there is something to say. */
  warnings?: PlanWarning[];
}
