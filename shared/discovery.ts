/**
 * Response shapes of the discovery API (issue #8, server/discovery): GET /api/discovery, POST
 * /api/discovery/adopt and GET /api/labs/:name/diff. Plain types: the client checks only the few fields the
 * host view relies on (a host with hundreds of namespaces is polled every 2 s). Kernel references use minimal
 * shapes here; the server's engine types (NetnsRef, Marker, DiscoveredNetns) are structurally compatible.
 */
import type { Lab } from './lab';

/** Network namespace of a kernel object: null = root; a named namespace's name; `pid:<PID>` for a process-held one. */
export type NetnsRef = string | null;
export type Ownership = 'foreign' | 'owned';
/** A Netloom ownership marker `netloom:<lab>:<object>`, parsed. */
export interface Marker {
  lab: string;
  object: string;
}

/** Kernel identity and ownership of one lab object (node, link, endpoint) or extra. */
export interface ObjectInfo {
  id: string;
  kind: 'namespace' | 'bridge' | 'host' | 'veth' | 'endpoint' | 'extra';
  /** Namespace the object lives in (null = root); a namespace node: its own name. */
  netns: NetnsRef;
  ifname?: string;
  ifindex?: number;
  ownership: Ownership;
  /** The exact Netloom marker it carries (lab + object), when owned. */
  marker?: Marker;
  /** A non-marker alias (adopting would overwrite it, so adopt refuses). */
  alias?: string;
}

/** Something on the host the Lab format cannot express; drawn as a labelled stub. */
export interface Extra {
  id: string;
  /** Link kind (`macvlan`, `vxlan`, `tun`, `dummy`, `veth`, …) or `netns` for a process-held namespace. */
  kind: string;
  netns: NetnsRef;
  /** Lab node the stub sits on (namespace node, bridge, `host`), when that node is in the lab. */
  node?: string;
  ifname?: string;
  ifindex?: number;
  addresses: string[];
  mtu?: number;
  mac?: string;
  up?: boolean;
  operstate?: string;
  master?: string;
  parent?: { netns: NetnsRef; ifname: string } | null;
  peer?: { netns: NetnsRef; ifname: string } | null;
  detail?: Record<string, string | number | boolean>;
  /** Process-held namespaces: holder PID and its command name. */
  pid?: number;
  comm?: string;
  ownership: Ownership;
  marker?: Marker;
  /** Why it is not part of the lab. */
  reason: string;
}

/** The discovered host as a Lab (always valid) plus what the format cannot express. */
export interface DiscoveredLab {
  lab: Lab;
  extras: Extra[];
  /** By lab object id (node ids, link ids, endpoint keys `link#0|1`) and extra id. */
  objects: Record<string, ObjectInfo>;
  warnings: string[];
}

/** One kernel link of the raw per-namespace view: the fields the client reads (the JSON carries more). */
export interface DiscoveredLinkInfo {
  ifname: string;
  kind: string;
  ifindex?: number;
  addresses: string[];
  operstate?: string;
  adminUp?: boolean;
  mtu?: number;
  mac?: string;
  master?: string;
}

/** One namespace of the raw view (root, named, process-held): the fields the client reads. */
export interface DiscoveredNamespace {
  ref: NetnsRef;
  source: 'root' | 'named' | 'process';
  /** Process-held namespaces: the lowest PID holding it and its `comm`. */
  pid?: number;
  comm?: string;
  links: DiscoveredLinkInfo[];
}

/** GET /api/discovery (the server fills `namespaces` with its fuller DiscoveredNetns). */
export interface DiscoveryResponse<NS extends DiscoveredNamespace = DiscoveredNamespace> extends DiscoveredLab {
  at: string;
  durationMs: number;
  /** Raw per-namespace view (root, named, process-held `pid:N`), peers and parents resolved. */
  namespaces: NS[];
}

/** POST /api/discovery/adopt (201). */
export interface AdoptResponse {
  lab: Lab;
  revision: number;
  /** How many marker operations ran. */
  marked: number;
  /** Recorded as applied (the host already matched the adopted lab). */
  applied: boolean;
  /** Objects pulled in because a selected one needs them (a link's nodes, a bridge's namespace). */
  added: string[];
  /** What a plan would still do once the markers are set (operation reasons; empty when the lab matches). */
  residual: string[];
  warnings: string[];
}

// ---- GET /api/labs/:name/diff: three-way diff (design / last applied / live host) ----

export type Badge = 'in-sync' | 'drifted' | 'missing' | 'foreign';
/** A JSON path into the Lab. */
export type PatchPath = (string | number)[];

export interface FieldDiff {
  field: 'addresses' | 'mtu' | 'mac' | 'up' | 'master' | 'stp' | 'forwarding' | 'routes' | 'peer';
  design: unknown;
  live: unknown;
  /** Value in the applied lab (undefined when there is none or the object was not in it). */
  applied?: unknown;
  /** Who moved away from the last apply: the design, the host, or both (unknown without an applied lab). */
  changedBy: 'design' | 'host' | 'both' | 'unknown';
  /** Take the live value into the design: set `path` (into the Lab) to `value`. null = not expressible. */
  patch: { path: PatchPath; value: unknown } | null;
}

export interface ObjectDiff {
  id: string;
  kind: 'namespace' | 'bridge' | 'veth-end';
  badge: Badge;
  netns: NetnsRef;
  ifname?: string;
  /** Marker found on the host object (foreign: someone else's or none). */
  marker?: Marker | null;
  fields: FieldDiff[];
}

export interface LabDiff {
  lab: string;
  objects: ObjectDiff[];
  /** Objects on the host carrying this lab's marker that the design no longer has (apply deletes them). */
  orphans: { netns: NetnsRef; ifname?: string; object: string }[];
  summary: Record<Badge, number>;
}
