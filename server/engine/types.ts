/**
 * Engine-internal data: what observe() reads from the host, and the operations plan() produces and the
 * driver executes. Plain data (JSON-serializable) so plans can be journaled, golden-tested and shown.
 */
import type { Counters, Route } from '../../shared';

/** Ownership marker: `netloom:<lab>:<object>`, stored as an interface alias (for a namespace: on its `lo`). */
export interface Marker {
  lab: string;
  object: string;
}

/** Netns name, or null for the root network namespace (of the host or of the sandbox). */
export type NetnsRef = string | null;

export interface ObservedLink {
  netns: NetnsRef;
  ifindex: number;
  ifname: string;
  /** `veth`, `bridge`, `loopback`, `macvlan`, `vxlan`, `vlan`, `tun`, `dummy`, … (`ip -d` linkinfo kind). */
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
}

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
  links: ObservedLink[];
  routes: ObservedRoute[];
}

export interface ObservedState {
  root: ObservedNetns;
  /** Named namespaces (those under /run/netns), by name. */
  namespaces: Record<string, ObservedNetns>;
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
  | { kind: 'route.del'; netns: NetnsRef; route: Route };

export type OpKind = OpBody['kind'];

export type Operation = OpBody & {
  /** Lab object id (node id, link id, or endpoint key `${linkId}#0|#1`). */
  object: string;
  reason: string;
  /** What undoes it; null when nothing needs undoing (e.g. a delete during destroy is not rolled back). */
  inverse: OpBody | null;
};

/** A plan-time error: nothing may run. */
export interface PlanError {
  code: 'Conflict' | 'Unsupported' | 'InvalidLab';
  message: string;
  /** JSON path into the lab, when the error concerns one field. */
  path?: string;
  object?: string;
}

export interface Plan {
  ops: Operation[];
  errors: PlanError[];
}
